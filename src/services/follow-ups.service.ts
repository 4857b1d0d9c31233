import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/db-client.ts';
import {
  countActiveFollowUps,
  findFollowUpByNumber,
  findFollowUpByRequestKey,
  type FollowUpFilter,
  type FollowUpPatch,
  type FollowUpWithCompany,
  insertManualFollowUp,
  listActiveFollowUps,
  updateFollowUp,
} from '../db/follow-up.repository.ts';
import type { FollowUp, FollowUpStatus } from '../db/generated/client.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import { reminderTargetFor } from './channel-links.service.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { isUniqueViolation } from './prisma-executor.ts';
import { isActive } from '../domain/follow-up.ts';

/** States in which a follow-up still needs someone's attention. */

export type { FollowUpFilter, FollowUpWithCompany };

export interface CreateFollowUpInput {
  companyId: string;
  title: string;
  dueAt: Date;
  assigneeRepId: string;
  actor: AuditActor;
  /** Where the reminder goes when the customer has no linked channel. */
  fallbackRemindTarget?: string;
  /**
   * Idempotency key of the request (e.g. "slack:command:<trigger id>"): a retried request with the same
   * key returns the follow-up the first one created and writes nothing. Default: none (always creates).
   */
  requestKey?: string;
}

/** A created follow-up; `created` is false when its request key was seen before and nothing was written. */
export type CreatedFollowUp = FollowUpWithCompany & { created: boolean };

/**
 * Creates a manual follow-up (`remind`), assigned to the rep; its reminder is scheduled through `hooks`.
 * Idempotent by `requestKey`, also when two retries race (the unique key decides which one wrote).
 */
export async function createFollowUp(
  db: Database,
  input: CreateFollowUpInput,
  hooks: PipelineHooks,
): Promise<CreatedFollowUp> {
  const title = input.title.trim();
  if (!title)
    throw new RapportError('invalid_input', 'Say what to follow up on, e.g. remind acme friday "send the quote".');
  if (title.length > 500)
    throw new RapportError(
      'invalid_input',
      `A follow-up title is at most 500 characters (this one has ${title.length}).`,
    );
  const earlier = () => (input.requestKey ? findFollowUpByRequestKey(db.prisma, input.requestKey) : null);
  const existing = await earlier();
  if (existing) return { ...existing, created: false };
  let followUp: FollowUpWithCompany;
  try {
    followUp = await insertFollowUp(db, input, title);
  } catch (err) {
    const winner = isUniqueViolation(err) ? await earlier() : null;
    if (winner) return { ...winner, created: false };
    throw err;
  }
  await hooks.followUpChanged(followUp.id);
  return { ...followUp, created: true };
}

async function insertFollowUp(db: Database, input: CreateFollowUpInput, title: string): Promise<FollowUpWithCompany> {
  return inTransaction(db, async (tx) => {
    const created = await insertManualFollowUp(tx, {
      requestKey: input.requestKey ?? null,
      companyId: input.companyId,
      title,
      dueAt: input.dueAt,
      assigneeRepId: input.assigneeRepId,
      remindTarget: (await reminderTargetFor(tx, input.companyId)) ?? input.fallbackRemindTarget ?? null,
    });
    await writeAudit(tx, {
      action: 'followup.create',
      actor: input.actor,
      subject: created.id,
      details: { companyId: input.companyId, number: created.number },
    });
    return created;
  });
}

/** A change a rep makes to a follow-up by its number. */
export type FollowUpChange =
  | { kind: 'done' }
  | { kind: 'dismiss' }
  /**
   * Takes a suggestion on. `ifPast`: when its due date is not after `asOf` (it passed while the
   * suggestion waited, over a weekend say), it becomes `dueAt`, so that taking it on does not fire its
   * reminder and its overdue escalation at once; absent, the due date stays.
   */
  | { kind: 'accept'; ifPast?: { asOf: Date; dueAt: Date } }
  | { kind: 'snooze'; until: Date }
  /** A new due date; the state stays (a suggestion is still waiting for Accept). */
  | { kind: 'due'; dueAt: Date }
  | { kind: 'assign'; repId: string };

const ALLOWED_FROM: Record<FollowUpChange['kind'], FollowUpStatus[]> = {
  done: ['open', 'snoozed', 'suggested'],
  dismiss: ['open', 'snoozed', 'suggested'],
  accept: ['suggested'],
  snooze: ['open', 'snoozed', 'suggested'],
  due: ['open', 'snoozed', 'suggested'],
  assign: ['open', 'snoozed', 'suggested'],
};

export interface FollowUpChangeResult {
  followUp: FollowUpWithCompany;
  /** False when the follow-up already was in the requested state (a repeated click): nothing written. */
  changed: boolean;
  /** Accept only: the due date it had, when it had passed and `ifPast` replaced it. */
  pastDueAt?: Date;
}

/**
 * Applies done / dismiss / accept / snooze / due / assign to the follow-up with this number, in one
 * transaction with its audit entry and the refresh of its posted card (so a process killed right after
 * the commit cannot leave the card showing the old state); then tells the pipeline so the reminder is
 * moved or cancelled and the refresh queued.
 * Repeating a change that already happened (Done clicked twice) is harmless.
 * @throws RapportError not_found for an unknown number, conflict for a change its state does not allow.
 */
export async function changeFollowUp(
  db: Database,
  number: number,
  change: FollowUpChange,
  actor: AuditActor,
  hooks: PipelineHooks,
): Promise<FollowUpChangeResult> {
  // The card's refresh is written down with the change and queued after it under this id (recordCardRefreshes).
  const cardChange = randomUUID();
  const result = await inTransaction(db, async (tx) => {
    const current = await findFollowUpByNumber(tx, number);
    if (!current)
      throw new RapportError('not_found', `There is no follow-up #${number}. Type "followups" to see yours.`);
    if (isAlreadyApplied(current, change)) return { followUp: current, changed: false };
    if (!ALLOWED_FROM[change.kind].includes(current.status)) {
      throw new RapportError(
        'conflict',
        `Follow-up #${number} is ${current.status}; it cannot be ${pastTense(change.kind)} any more.`,
      );
    }
    const data: FollowUpPatch = {};
    switch (change.kind) {
      case 'done':
        Object.assign(data, { status: 'done', completedAt: new Date() });
        break;
      case 'dismiss':
        data.status = 'dismissed';
        break;
      case 'accept':
        data.status = 'open';
        if (change.ifPast && current.dueAt.getTime() <= change.ifPast.asOf.getTime())
          Object.assign(data, { dueAt: change.ifPast.dueAt, escalatedAt: null });
        break;
      case 'snooze':
        Object.assign(data, { status: 'snoozed', dueAt: change.until, escalatedAt: null });
        break;
      case 'due':
        // A new due date re-arms the overdue escalation.
        Object.assign(data, { dueAt: change.dueAt, escalatedAt: null });
        break;
      case 'assign':
        data.assigneeRepId = change.repId;
        break;
    }
    const followUp = await updateFollowUp(tx, current.id, data);
    await writeAudit(tx, {
      action: `followup.${change.kind}`,
      actor,
      subject: current.id,
      details: {
        number,
        from: current.status,
        to: followUp.status,
        ...(change.kind === 'assign' ? { repId: change.repId } : {}),
        ...(change.kind === 'snooze' ? { until: change.until.toISOString() } : {}),
        ...(change.kind === 'due' || (change.kind === 'accept' && data.dueAt)
          ? { dueAt: followUp.dueAt.toISOString(), previousDueAt: current.dueAt.toISOString() }
          : {}),
      },
    });
    await hooks.recordCardRefreshes?.(tx, [current.id], cardChange);
    return { followUp, changed: true, ...(change.kind === 'accept' && data.dueAt ? { pastDueAt: current.dueAt } : {}) };
  });
  if (result.changed) await hooks.followUpChanged(result.followUp.id, cardChange);
  return result;
}

function isAlreadyApplied(f: FollowUp, change: FollowUpChange): boolean {
  switch (change.kind) {
    case 'done':
      return f.status === 'done';
    case 'dismiss':
      return f.status === 'dismissed';
    case 'accept':
      return f.status === 'open';
    case 'snooze':
      return f.status === 'snoozed' && f.dueAt.getTime() === change.until.getTime();
    case 'due':
      return isActive(f.status) && f.dueAt.getTime() === change.dueAt.getTime();
    case 'assign':
      return f.assigneeRepId === change.repId;
  }
}

function pastTense(kind: FollowUpChange['kind']): string {
  return {
    done: 'marked done',
    dismiss: 'dismissed',
    accept: 'accepted',
    snooze: 'snoozed',
    due: 'rescheduled',
    assign: 'reassigned',
  }[kind];
}

/** How many follow-ups one page of `followups` shows. */
export const FOLLOW_UP_PAGE_SIZE = 25;

/**
 * Active follow-ups matching the filter, soonest due first: at most `limit` (default
 * {@link FOLLOW_UP_PAGE_SIZE}), skipping the first `offset` (default 0). {@link countFollowUps} says how many there are.
 */
export async function listFollowUps(
  db: Database,
  filter: FollowUpFilter,
  limit = FOLLOW_UP_PAGE_SIZE,
  offset = 0,
): Promise<FollowUpWithCompany[]> {
  return listActiveFollowUps(db.prisma, filter, limit, offset);
}

/** How many active follow-ups match the filter (all of them, not one page). */
export async function countFollowUps(db: Database, filter: FollowUpFilter): Promise<number> {
  return countActiveFollowUps(db.prisma, filter);
}
