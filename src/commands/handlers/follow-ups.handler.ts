import { parseWhen } from '../../domain/parse-when.ts';
import { addBusinessHours } from '../../domain/business-dates.ts';
import { formatInZone, startOfZonedDay, startOfZonedWeek } from '../../domain/zoned-time.ts';
import { RapportError, userMessage } from '../../errors.ts';
import {
  changeFollowUp,
  countFollowUps,
  FOLLOW_UP_PAGE_SIZE,
  listFollowUps,
  type FollowUpChange,
  type FollowUpFilter,
} from '../../services/follow-ups.service.ts';
import { resolveRepMention } from '../../services/reps.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';
import { followUpSection } from '../follow-up-view.ts';
import { count } from '../count-noun.ts';

export { handleRemind } from './remind.handler.ts';

/** `followups [mine|today|tomorrow|this week|next week|overdue|all|<customer>] [page n]`: active follow-ups with their buttons. */
export async function handleFollowUps(cmd: Extract<Command, { kind: 'followups' }>, h: HandlerContext): Promise<Reply> {
  const { filter, title, again } = await followUpsFilter(cmd, h);
  const page = cmd.page ?? 1;
  const offset = (page - 1) * FOLLOW_UP_PAGE_SIZE;
  const [items, total] = await Promise.all([
    listFollowUps(h.deps.db, filter, FOLLOW_UP_PAGE_SIZE, offset),
    countFollowUps(h.deps.db, filter),
  ]);
  if (total === 0) {
    return { tone: 'info', title, text: 'Nothing to follow up here. Add one with "remind <customer> <when> <what>".' };
  }
  const sections = items.map((f) => followUpSection(f, h.timeZone, h.ctx.now));
  for (const f of items) if (f.companyId) h.about.add(f.companyId);
  const remaining = total - offset - items.length;
  if (remaining > 0) {
    sections.push({
      text: `…and ${count(remaining, 'more follow-up')}.`,
      buttons: [{ label: 'Show more', command: `${again} page ${page + 1}` }],
    });
  }
  return {
    tone: 'info',
    title,
    text:
      items.length === total
        ? `${count(total, 'follow-up')}.`
        : items.length === 0
          ? `${count(total, 'follow-up')}; page ${page} is past the end. Type "${again}" for the first page.`
          : `${count(total, 'follow-up')}; showing ${offset + 1}–${offset + items.length}.`,
    sections,
  };
}

async function followUpsFilter(
  cmd: Extract<Command, { kind: 'followups' }>,
  h: HandlerContext,
): Promise<{ filter: FollowUpFilter; title: string; again: string }> {
  const { now } = h.ctx;
  const repId = h.rep.id;
  switch (cmd.scope) {
    case 'mine':
      return { filter: { kind: 'mine', repId }, title: 'Your follow-ups', again: 'followups mine' };
    case 'today':
      return {
        filter: { kind: 'today', repId, timeZone: h.timeZone, now },
        title: 'Your follow-ups due today',
        again: 'followups today',
      };
    case 'tomorrow':
      return {
        filter: {
          kind: 'mine-due',
          repId,
          from: startOfZonedDay(now, h.timeZone, 1),
          before: startOfZonedDay(now, h.timeZone, 2),
        },
        title: 'Your follow-ups due tomorrow',
        again: 'followups tomorrow',
      };
    case 'this-week':
      // Like "today": what is overdue still has to be done this week.
      return {
        filter: { kind: 'mine-due', repId, before: startOfZonedWeek(now, h.timeZone, 1) },
        title: 'Your follow-ups due this week',
        again: 'followups this week',
      };
    case 'next-week':
      return {
        filter: {
          kind: 'mine-due',
          repId,
          from: startOfZonedWeek(now, h.timeZone, 1),
          before: startOfZonedWeek(now, h.timeZone, 2),
        },
        title: 'Your follow-ups due next week',
        again: 'followups next week',
      };
    case 'overdue':
      return { filter: { kind: 'overdue', now }, title: 'Overdue follow-ups', again: 'followups overdue' };
    case 'all':
      return { filter: { kind: 'all' }, title: 'All open follow-ups', again: 'followups all' };
    case 'customer': {
      const match = await resolveCustomer(h, cmd.customer, {
        requireExact: false,
        commandFor: (name) => `followups ${q(name)}`,
      });
      return {
        filter: { kind: 'customer', companyId: match.companyId },
        title: `Follow-ups for ${match.companyName}`,
        again: `followups ${q(match.companyName)}`,
      };
    }
  }
}

/** How much opening time a suggestion accepted after its due date passed gets before its reminder. */
const ACCEPTED_PAST_DUE_HOURS = 1;

type ChangeCommand = Extract<Command, { kind: 'done' | 'dismiss' | 'accept' | 'snooze' | 'due' | 'assign' }>;

/** `done`, `dismiss`, `accept` (on one or several numbers), `snooze`, `due`, `assign` on a follow-up number. */
export async function handleFollowUpChange(cmd: ChangeCommand, h: HandlerContext): Promise<Reply> {
  if ('numbers' in cmd) {
    if (cmd.numbers.length === 1) return changeOne({ kind: cmd.kind, number: cmd.numbers[0] }, h);
    return changeSeveral(cmd, h);
  }
  return changeOne(cmd, h);
}

type OneChange =
  | Exclude<ChangeCommand, { numbers: number[] }>
  | { kind: 'done' | 'dismiss' | 'accept'; number: number };

/**
 * `done 18 19`: each number is changed on its own (one bad number does not undo the others) and the
 * reply lists what happened to each.
 */
async function changeSeveral(cmd: Extract<ChangeCommand, { numbers: number[] }>, h: HandlerContext): Promise<Reply> {
  const replies: Reply[] = [];
  for (const number of cmd.numbers) {
    try {
      replies.push(await changeOne({ kind: cmd.kind, number }, h));
    } catch (err) {
      if (!(err instanceof RapportError)) throw err;
      replies.push({ tone: 'error', text: userMessage(err) });
    }
  }
  const failed = replies.filter((r) => r.tone === 'error').length;
  return {
    tone: failed === 0 ? 'success' : failed === replies.length ? 'error' : 'warning',
    text: replies.map((r) => r.text).join('\n'),
    sections: replies.flatMap((r) => r.sections ?? []),
    footer: `Updated by ${h.rep.name}`,
  };
}

async function changeOne(cmd: OneChange, h: HandlerContext): Promise<Reply> {
  let change: FollowUpChange;
  switch (cmd.kind) {
    case 'snooze':
      change = { kind: 'snooze', until: parseWhen(cmd.when, h.ctx.now, h.timeZone, { hours: h.deps.businessHours }) };
      break;
    case 'due':
      change = { kind: 'due', dueAt: parseWhen(cmd.when, h.ctx.now, h.timeZone, { hours: h.deps.businessHours }) };
      break;
    case 'assign':
      change = {
        kind: 'assign',
        repId: (
          await resolveRepMention(h.deps.db.prisma, cmd.rep, h.ctx.actor, h.ctx.people?.describe.bind(h.ctx.people))
        ).id,
      };
      break;
    case 'accept':
      // A suggestion whose due date passed while it waited: due an hour of opening time from now
      // (the next morning after hours), not at once with its overdue escalation.
      change = {
        kind: 'accept',
        ifPast: {
          asOf: h.ctx.now,
          dueAt: addBusinessHours(h.ctx.now, ACCEPTED_PAST_DUE_HOURS, h.timeZone, h.deps.businessHours),
        },
      };
      break;
    default:
      change = { kind: cmd.kind };
  }
  const { followUp, changed, pastDueAt } = await changeFollowUp(h.deps.db, cmd.number, change, h.audit, h.deps.hooks);
  if (followUp.companyId) h.about.add(followUp.companyId);
  const what: Record<ChangeCommand['kind'], string> = {
    done: 'done',
    dismiss: 'dismissed',
    accept: pastDueAt
      ? `accepted; it was due ${formatInZone(pastDueAt, h.timeZone, h.ctx.now)}, so it is due ${formatInZone(followUp.dueAt, h.timeZone, h.ctx.now)} now (type "due ${followUp.number} <when>" to change it)`
      : 'accepted',
    snooze: `snoozed until ${formatInZone(followUp.dueAt, h.timeZone, h.ctx.now)}`,
    due: `due ${formatInZone(followUp.dueAt, h.timeZone, h.ctx.now)}`,
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
