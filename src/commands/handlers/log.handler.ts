import { randomUUID } from 'node:crypto';
import { chatKindFor, describeChannelKind } from '../../domain/channel-kind.ts';
import { formatInZone } from '../../domain/zoned-time.ts';
import { parseWhen } from '../../domain/parse-when.ts';
import { normalizeDomain, normalizeEmail } from '../../domain/normalize-company-name.ts';
import { createCustomer } from '../../services/create-customer.service.ts';
import { logCommunication, type LogCommunicationResult } from '../../services/log-communication.service.ts';
import { confidentMatch, lookupCustomer } from '../../services/lookup-customer.service.ts';
import { assertNotErased, type TombstoneKey } from '../../services/tombstones.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';
import { followUpButtons } from '../follow-up-view.ts';

type LogCommand = Extract<Command, { kind: 'log' }>;

/** `log <customer> <text> [--via] [--at] [--follow-up] [--new]`: records a conversation, never inventing a customer silently. */
export async function handleLog(cmd: LogCommand, h: HandlerContext): Promise<Reply> {
  const { ctx, deps, timeZone } = h;
  const hours = deps.businessHours;
  const occurredAt = cmd.at ? parseWhen(cmd.at, ctx.now, timeZone, { pastOnly: true, hours }) : ctx.now;
  const followUpAt = cmd.followUp ? parseWhen(cmd.followUp, ctx.now, timeZone, { hours }) : undefined;

  let companyId: string | undefined;
  let companyName = '';
  let text = '';
  for (const split of cmd.customer.splits) {
    if (!split.rest) continue;
    const match = confidentMatch(await lookupCustomer(deps.db, split.customer, { exactOnly: true }), {
      requireExact: true,
    });
    if (match) {
      ({ companyId, companyName } = match);
      text = split.rest;
      break;
    }
  }
  if (!companyId) {
    // Nothing matched exactly: the name is the quoted one, or the first word.
    const fallback = cmd.customer.splits[cmd.customer.splits.length - 1];
    await assertNotErased(deps.db, erasureKeys(fallback.customer));
    const again = (name: string, extra = '') => `log ${q(name)} ${q(fallback.rest)}${flagText(cmd)}${extra}`;
    if (cmd.createNew) {
      const company = await createCustomer(deps.db.prisma, fallback.customer, h.audit);
      companyId = company.id;
      companyName = company.name;
      text = fallback.rest;
    } else {
      // A unique whole-word prefix ("zyxwell" for "Zyxwell Industries") resolves; anything else asks.
      ({ companyId, companyName } = await resolveCustomer(h, fallback.customer, {
        requireExact: true,
        commandFor: (name) => again(name),
        extraButtons: [
          {
            label: `Create customer “${fallback.customer}”`,
            command: again(fallback.customer, ' --new'),
            confirm: `Create a new customer called “${fallback.customer}”?`,
          },
        ],
        notFound: {
          tone: 'warning',
          text: `No customer called "${fallback.customer}" yet. Create it and log this note?`,
          buttons: [
            {
              label: `Create “${fallback.customer}” and log`,
              command: again(fallback.customer, ' --new'),
              style: 'primary',
            },
          ],
          footer: 'Misspelt? Type the command again with the right name, or "lookup <name>" to search.',
        },
      }));
      text = fallback.rest;
    }
  }
  h.about.add(companyId!);

  const result = await logCommunication(
    deps.db,
    {
      companyId: companyId!,
      text,
      // The grammar reads `--via chat` as `console`: stored as the chat tool the rep typed it in.
      channelKind: cmd.via === 'console' ? chatKindFor(ctx.actor.platform) : (cmd.via ?? 'note'),
      occurredAt,
      sourceKey: `${ctx.actor.platform}:command:${ctx.requestKey ?? randomUUID()}`,
      repId: h.rep.id,
      repName: h.rep.name,
      actor: h.audit,
      followUpAt,
      fallbackRemindTarget: ctx.channel?.target,
    },
    deps.hooks,
  );
  return loggedReply(result, companyName, timeZone, ctx.now);
}

/** The answer to a log, typed or from a form: what was recorded, when, and its follow-up with buttons. */
export function loggedReply(
  result: LogCommunicationResult,
  companyName: string,
  timeZone: string,
  now: Date = new Date(),
): Reply {
  const via = describeChannelKind(result.record.channelKind);
  const fields = [
    { label: 'Customer', value: companyName },
    { label: 'Via', value: via },
    { label: 'When', value: formatInZone(result.record.startedAt, timeZone, now) },
  ];
  if (result.followUp)
    fields.push({
      label: 'Follow-up',
      value: `#${result.followUp.number} due ${formatInZone(result.followUp.dueAt, timeZone, now)}`,
    });
  return {
    tone: 'success',
    title: result.created ? `Logged for ${companyName}` : `Already logged for ${companyName}`,
    text: result.created
      ? `Logged a ${via} for ${companyName.replace(/\.$/, '')}.${result.followUp ? ` Follow-up #${result.followUp.number} is set.` : ''}`
      : `This request was already logged for ${companyName}; nothing new was written.`,
    fields,
    buttons: [
      { label: 'Open customer', command: `lookup ${q(companyName)}` },
      ...(result.followUp ? followUpButtons(result.followUp) : []),
    ],
    footer: `Record ${result.record.id}`,
  };
}

/** Keys of the typed customer that an erasure would have tombstoned. */
function erasureKeys(typed: string): TombstoneKey[] {
  // The company name is checked when creating (createCustomer); a name alone may still prefix-match a live customer.
  const keys: TombstoneKey[] = [];
  const email = normalizeEmail(typed);
  if (email) keys.push({ kind: 'email', value: email }, { kind: 'domain', value: email.slice(email.indexOf('@') + 1) });
  const domain = normalizeDomain(typed);
  if (domain) keys.push({ kind: 'domain', value: domain });
  return keys;
}

function flagText(cmd: LogCommand): string {
  let s = '';
  if (cmd.via) s += ` --via ${cmd.via === 'console' ? 'chat' : cmd.via}`;
  if (cmd.at) s += ` --at ${q(cmd.at)}`;
  if (cmd.followUp) s += ` --follow-up ${q(cmd.followUp)}`;
  return s;
}
