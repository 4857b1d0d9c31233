import {
  dismissStaleSuggestions,
  postedCardsOfCompany,
  unlinkAddressedChannels,
} from '../../services/posted-cards.service.ts';
import { RapportError } from '../../errors.ts';
import { linkChannel, unlinkChannel } from '../../services/channel-links.service.ts';
import { correctLabel } from '../../services/correct-label.service.ts';
import { eraseCustomer, isValidErasureToken, requestCustomerErasure } from '../../services/erase-customer.service.ts';
import { exportCustomer, formatCustomerExport } from '../../services/export-customer.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';

/** Exports longer than this many characters are summarised in chat; the CLI prints them whole. */
export const INLINE_EXPORT_LIMIT = 3500;

/** `link <customer>`: binds the current channel to the customer. */
export async function handleLink(cmd: Extract<Command, { kind: 'link' }>, h: HandlerContext): Promise<Reply> {
  const channel = h.ctx.channel;
  if (!channel)
    throw new RapportError(
      'invalid_input',
      '"link" binds the channel you type it in; run it in the customer\'s channel, not in a direct message.',
    );
  const match = await resolveCustomer(h, cmd.customer, { requireExact: true, commandFor: (name) => `link ${q(name)}` });
  const { previousCompanyId } = await linkChannel(h.deps.db.prisma, channel, match.companyId, h.audit);
  return {
    tone: 'success',
    visibility: 'channel',
    text: `This channel is now linked to ${match.companyName}: conversations here are logged to it and its reminders are posted here.${previousCompanyId && previousCompanyId !== match.companyId ? ' (It was linked to another customer before.)' : ''}`,
    buttons: [{ label: 'Unlink', command: 'unlink' }],
  };
}

/** `unlink`: removes the current channel's binding. */
export async function handleUnlink(_cmd: Extract<Command, { kind: 'unlink' }>, h: HandlerContext): Promise<Reply> {
  if (!h.ctx.channel) throw new RapportError('invalid_input', '"unlink" works in a linked channel.');
  await unlinkChannel(h.deps.db.prisma, h.ctx.channel, h.audit);
  return {
    tone: 'success',
    visibility: 'channel',
    text: 'This channel is no longer linked to a customer; nothing here is logged automatically any more.',
  };
}

/** `label <recordId> <label>`: a rep's correction of the classifier. */
export async function handleLabel(cmd: Extract<Command, { kind: 'label' }>, h: HandlerContext): Promise<Reply> {
  const { previous, label, changed } = await correctLabel(h.deps.db, cmd.recordId, cmd.label, h.audit);
  if (!changed) return { tone: 'info', text: `That record is already labelled ${label}; nothing changed.` };
  if (previous !== label) {
    // The suggestion waiting on this conversation was made for the old label: it no longer fits.
    const stale = await dismissStaleSuggestions(
      h.deps.db,
      { recordId: cmd.recordId },
      `label changed from ${previous} to ${label}`,
      h.audit,
    );
    for (const id of stale) await h.deps.hooks.followUpChanged(id);
  }
  return {
    tone: 'success',
    text:
      previous === label
        ? `Confirmed: ${label}. Thanks: the classifier learns from this at its next training.`
        : `Label changed from ${previous} to ${label}. Thanks: the classifier learns from this at its next training.`,
  };
}

/** `forget <customer> [--confirm <token>]`: GDPR erasure after an explicit confirmation. */
export async function handleForget(cmd: Extract<Command, { kind: 'forget' }>, h: HandlerContext): Promise<Reply> {
  const match = await resolveCustomer(h, cmd.customer, {
    requireExact: true,
    commandFor: (name) => `forget ${q(name)}`,
  });
  if (!cmd.confirmToken) {
    const token = await requestCustomerErasure(h.deps.db.prisma, match.companyId, h.audit, h.ctx.now);
    return {
      tone: 'warning',
      title: `Erase ${match.companyName}?`,
      text:
        `This permanently deletes ${match.companyName}: every contact, conversation, message, follow-up, label and channel link. ` +
        'Only hashed keys stay behind so no connector imports them again. This cannot be undone.',
      buttons: [
        {
          label: `Erase ${match.companyName}`,
          command: `forget ${q(match.companyName)} --confirm ${token}`,
          style: 'danger',
          confirm: `Permanently erase everything about ${match.companyName}?`,
        },
      ],
      footer: 'The button works for 24 hours, for you and this customer only.',
    };
  }
  if (!(await isValidErasureToken(h.deps.db.prisma, match.companyId, h.rep.id, h.ctx.now, cmd.confirmToken))) {
    throw new RapportError(
      'forbidden',
      `That confirmation is not valid for ${match.companyName} (expired or for another customer). Type "forget ${match.companyName}" again and use the new button.`,
    );
  }
  // Read first: the erasure deletes the follow-ups that know where their cards were posted.
  const cards = await postedCardsOfCompany(h.deps.db, match.companyId);
  if (cards.length > 0 && h.deps.hooks.cardsRetracted) await unlinkAddressedChannels(h.deps.db, match.companyId);
  const { counts } = await eraseCustomer(h.deps.db, match.companyId, h.audit);
  // Cards quoting the customer in chat channels follow the data: replaced by a line that quotes nothing.
  await h.deps.hooks.cardsRetracted?.(cards, 'erased');
  return {
    tone: 'success',
    title: 'Customer erased',
    text: `${match.companyName} was erased: ${counts.contacts} contact(s), ${counts.records} record(s), ${counts.messages} message(s), ${counts.followUps} follow-up(s) deleted. Rapport will not import them again.`,
  };
}

/** `export <customer> [json|csv]`: everything stored about a customer; inline when small. */
export async function handleExport(cmd: Extract<Command, { kind: 'export' }>, h: HandlerContext): Promise<Reply> {
  const match = await resolveCustomer(h, cmd.customer, {
    requireExact: false,
    commandFor: (name) => `export ${q(name)} ${cmd.format}`,
  });
  const data = await exportCustomer(h.deps.db, match.companyId, h.audit, h.ctx.now);
  const body = formatCustomerExport(data, cmd.format);
  const summary = `${data.contacts.length} contact(s), ${data.records.length} record(s), ${data.followUps.length} follow-up(s)`;
  if (body.length <= INLINE_EXPORT_LIMIT) {
    return { tone: 'info', title: `Export of ${match.companyName} (${cmd.format})`, text: body, footer: summary };
  }
  return {
    tone: 'info',
    title: `Export of ${match.companyName}`,
    text: `The export has ${summary} (${Math.round(body.length / 1024)} KB), too large for chat. On the server run: rapport exec "export ${match.companyName.replace(/"/g, '')} ${cmd.format}" > export.${cmd.format}`,
  };
}
