import { parseLeadingWhen, parseWhen, WHEN_EXAMPLES } from '../../domain/parse-when.ts';
import { formatInZone } from '../../domain/zoned-time.ts';
import { RapportError } from '../../errors.ts';
import {
  changeFollowUp,
  createFollowUp,
  listFollowUps,
  type FollowUpChange,
  type FollowUpFilter,
} from '../../services/follow-ups.service.ts';
import { confidentMatch, lookupCustomer } from '../../services/lookup-customer.service.ts';
import { resolveRepMention } from '../../services/reps.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';
import { followUpSection } from '../follow-up-view.ts';

/** `followups [mine|today|overdue|all|<customer>]`: active follow-ups with their buttons. */
export async function handleFollowUps(cmd: Extract<Command, { kind: 'followups' }>, h: HandlerContext): Promise<Reply> {
  let filter: FollowUpFilter;
  let title: string;
  switch (cmd.scope) {
    case 'mine':
      filter = { kind: 'mine', repId: h.rep.id };
      title = 'Your follow-ups';
      break;
    case 'today':
      filter = { kind: 'today', repId: h.rep.id, timeZone: h.timeZone, now: h.ctx.now };
      title = 'Your follow-ups due today';
      break;
    case 'overdue':
      filter = { kind: 'overdue', now: h.ctx.now };
      title = 'Overdue follow-ups';
      break;
    case 'all':
      filter = { kind: 'all' };
      title = 'All open follow-ups';
      break;
    case 'customer': {
      const match = await resolveCustomer(h, cmd.customer, {
        requireExact: false,
        commandFor: (name) => `followups ${q(name)}`,
      });
      filter = { kind: 'customer', companyId: match.companyId };
      title = `Follow-ups for ${match.companyName}`;
      break;
    }
  }
  const items = await listFollowUps(h.deps.db, filter);
  return {
    tone: 'info',
    title,
    text: items.length
      ? `${items.length} follow-up(s).`
      : 'Nothing to follow up here. Add one with "remind <customer> <when> <what>".',
    sections: items.map((f) => followUpSection(f, h.timeZone, h.ctx.now)),
  };
}

/** `remind <customer> <when> <text>`: a manual follow-up assigned to the rep. */
export async function handleRemind(cmd: Extract<Command, { kind: 'remind' }>, h: HandlerContext): Promise<Reply> {
  const readings: Array<{ customer: string; at: Date; title: string }> = [];
  let pastError: unknown;
  for (const split of cmd.customer.splits) {
    try {
      const when = parseLeadingWhen(split.rest, h.ctx.now, h.timeZone);
      if (when?.rest) readings.push({ customer: split.customer, at: when.at, title: when.rest });
    } catch (err) {
      pastError ??= err;
    }
  }
  if (readings.length === 0) {
    if (pastError) throw pastError;
    throw new RapportError(
      'invalid_input',
      `I could not find when to remind you. Usage: remind <customer> <when> <what>, with when like ${WHEN_EXAMPLES}. Quote multi-word names: remind "Acme Ltd" friday send the quote.`,
    );
  }
  let chosen: { companyId: string; companyName: string; reading: (typeof readings)[number] } | undefined;
  for (const reading of readings) {
    const match = confidentMatch(await lookupCustomer(h.deps.db, reading.customer, { exactOnly: true }), {
      requireExact: true,
    });
    if (match) {
      chosen = { companyId: match.companyId, companyName: match.companyName, reading };
      break;
    }
  }
  if (!chosen) {
    const reading = readings[readings.length - 1];
    const rest = cmd.customer.splits.find((s) => s.customer === reading.customer)!.rest;
    const match = await resolveCustomer(h, reading.customer, {
      requireExact: true,
      commandFor: (name) => `remind ${q(name)} ${rest}`,
    });
    chosen = { companyId: match.companyId, companyName: match.companyName, reading };
  }
  const followUp = await createFollowUp(
    h.deps.db,
    {
      companyId: chosen.companyId,
      title: chosen.reading.title,
      dueAt: chosen.reading.at,
      assigneeRepId: h.rep.id,
      actor: h.audit,
      fallbackRemindTarget: h.ctx.channel?.target,
      // Same key shape as `log`: a retried Slack/Teams/console request returns the first follow-up.
      requestKey: h.ctx.requestKey ? `${h.ctx.actor.platform}:command:${h.ctx.requestKey}` : undefined,
    },
    h.deps.hooks,
  );
  const when = formatInZone(followUp.dueAt, h.timeZone);
  return {
    tone: 'success',
    title: followUp.created ? `Follow-up #${followUp.number} set` : `Follow-up #${followUp.number} already set`,
    text: followUp.created
      ? `I'll remind you about ${chosen.companyName} on ${when}: ${followUp.title}`
      : `This request already set follow-up #${followUp.number} (${when}: ${followUp.title}); nothing new was written.`,
    sections: [followUpSection(followUp, h.timeZone, h.ctx.now)],
  };
}

type ChangeCommand = Extract<Command, { kind: 'done' | 'dismiss' | 'accept' | 'snooze' | 'due' | 'assign' }>;

/** `done`, `dismiss`, `accept`, `snooze`, `due`, `assign` on a follow-up number. */
export async function handleFollowUpChange(cmd: ChangeCommand, h: HandlerContext): Promise<Reply> {
  let change: FollowUpChange;
  switch (cmd.kind) {
    case 'snooze':
      change = { kind: 'snooze', until: parseWhen(cmd.when, h.ctx.now, h.timeZone) };
      break;
    case 'due':
      change = { kind: 'due', dueAt: parseWhen(cmd.when, h.ctx.now, h.timeZone) };
      break;
    case 'assign':
      change = { kind: 'assign', repId: (await resolveRepMention(h.deps.db.prisma, cmd.rep, h.ctx.actor.platform)).id };
      break;
    default:
      change = { kind: cmd.kind };
  }
  const { followUp, changed } = await changeFollowUp(h.deps.db, cmd.number, change, h.audit, h.deps.hooks);
  const what: Record<ChangeCommand['kind'], string> = {
    done: 'done',
    dismiss: 'dismissed',
    accept: 'accepted',
    snooze: `snoozed until ${formatInZone(followUp.dueAt, h.timeZone)}`,
    due: `due ${formatInZone(followUp.dueAt, h.timeZone)}`,
    assign: `assigned to ${followUp.assignee?.name ?? 'nobody'}`,
  };
  return {
    tone: changed ? 'success' : 'info',
    text: changed
      ? `#${followUp.number} ${followUp.title}: ${what[cmd.kind]}.`
      : `#${followUp.number} was already ${what[cmd.kind]}; nothing changed.`,
    sections: [followUpSection(followUp, h.timeZone, h.ctx.now)],
    footer: `Updated by ${h.rep.name}`,
  };
}
