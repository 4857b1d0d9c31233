import { findChannelLink } from '../../db/channel-link.repository.ts';
import { findTeamChannelsAt } from '../../db/team-channel.repository.ts';
import { RapportError } from '../../errors.ts';
import { linkChannel, unlinkChannel } from '../../services/channel-links.service.ts';
import { clearTeamChannel } from '../../services/team-channels.service.ts';
import { adminRefusal } from '../../domain/roles.ts';
import { correctLabel } from '../../services/correct-label.service.ts';
import {
  eraseCustomerAndCards,
  isValidErasureToken,
  requestCustomerErasure,
} from '../../services/erase-customer.service.ts';
import { exportCustomer, formatCustomerExport } from '../../services/export-customer.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';
import { count } from '../count-noun.ts';
import { erasureSummary } from '../erasure-summary.ts';

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
  const existing = await findChannelLink(h.deps.db.prisma, channel);
  if (
    existing?.companyId &&
    existing.companyId !== match.companyId &&
    existing.createdBy &&
    existing.createdBy !== h.rep.id &&
    h.role !== 'admin'
  )
    throw new RapportError('forbidden', adminRefusal('link a channel someone else linked to another customer'));
  const { previousCompanyId } = await linkChannel(h.deps.db.prisma, channel, match.companyId, h.audit);
  // Said in the channel, which the customer may read: what is logged, and that nothing internal is posted here.
  return {
    tone: 'success',
    visibility: 'channel',
    text: `This channel is now linked to ${match.companyName}: conversations here are logged to it. Rapport's suggestions and reminders about ${match.companyName} are never posted here.${previousCompanyId && previousCompanyId !== match.companyId ? ' (It was linked to another customer before.)' : ''}`,
    buttons: [{ label: 'Unlink', command: 'unlink' }],
  };
}

/**
 * `unlink`: the current channel stops being a customer channel (nothing logged any more) and a team
 * channel (its customers' cards go to the default channel). Undoing what someone else set up needs an admin.
 */
export async function handleUnlink(_cmd: Extract<Command, { kind: 'unlink' }>, h: HandlerContext): Promise<Reply> {
  const channel = h.ctx.channel;
  if (!channel) throw new RapportError('invalid_input', '"unlink" works in a linked channel.');
  const client = h.deps.db.prisma;
  const [link, teamRows] = await Promise.all([findChannelLink(client, channel), findTeamChannelsAt(client, channel)]);
  const linked = link?.companyId != null;
  if (!linked && teamRows.length === 0)
    throw new RapportError(
      'not_found',
      'This channel is not linked to a customer. Use "link <customer>" to link it, or "notify <customer> here" to get its cards here.',
    );
  const owners = [...(linked ? [link?.createdBy] : []), ...teamRows.map((r) => r.createdBy)];
  if (h.role !== 'admin' && owners.some((o) => o !== null && o !== h.rep.id))
    throw new RapportError('forbidden', adminRefusal('unlink a channel someone else linked'));
  if (linked) await unlinkChannel(client, channel, h.audit);
  const served = await clearTeamChannel(client, channel.target, 'unlink', h.audit);
  const parts = [
    ...(linked ? ['nothing here is logged automatically any more'] : []),
    ...(served.length > 0
      ? [`the suggestions and reminders of ${served.length} customer(s) go to the default team channel again`]
      : []),
  ];
  return {
    tone: 'success',
    visibility: 'channel',
    text: `This channel is no longer linked: ${parts.join('; ')}.`,
  };
}

/** `label <recordId> <label>`: a rep's correction of the classifier. */
export async function handleLabel(cmd: Extract<Command, { kind: 'label' }>, h: HandlerContext): Promise<Reply> {
  // A different label also dismisses the suggestion made for the old one, and its card follows.
  const { previous, label, changed } = await correctLabel(h.deps.db, cmd.recordId, cmd.label, h.audit, h.deps.hooks);
  if (!changed) return { tone: 'info', text: `That record is already labelled ${label}; nothing changed.` };
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
  const { counts } = await eraseCustomerAndCards(h.deps.db, match.companyId, h.audit, h.deps.hooks, h.deps.logger);
  // The summary is the rep's receipt of the erasure (it quotes only the name they typed and counts): not
  // an answer about the customer for a later erasure to take back, nor one "erased meanwhile" to take
  // back at once, which every forget in a channel then did.
  h.about.delete(match.companyId);
  return {
    tone: 'success',
    title: 'Customer erased',
    text: erasureSummary(match.companyName, counts),
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
  const summary = `${count(data.contacts.length, 'contact')}, ${count(data.records.length, 'record')}, ${count(data.followUps.length, 'follow-up')}`;
  if (body.length <= INLINE_EXPORT_LIMIT) {
    return { tone: 'info', title: `Export of ${match.companyName} (${cmd.format})`, text: body, footer: summary };
  }
  return {
    tone: 'info',
    title: `Export of ${match.companyName}`,
    text: `The export has ${summary} (${Math.round(body.length / 1024)} KB), too large for chat. On the server run: rapport export "${match.companyName.replace(/"/g, '')}" ${cmd.format} > export.${cmd.format}   (works while Rapport runs).`,
  };
}
