import { ACTIVE_STATUSES, OPEN_STATUSES } from '../domain/follow-up.ts';
import { instantToWallClock, zonedWallClockToInstant } from '../domain/zoned-time.ts';
import type { DbClient } from './db-client.ts';
import type { SqlRunner } from './database.ts';
import type { FollowUp, FollowUpStatus, Prisma } from './generated/client.ts';

/** A follow-up with the names of its customer and assignee, as lists and cards show it. */
export type FollowUpWithCompany = FollowUp & {
  company: { id: string; name: string } | null;
  assignee: { id: string; name: string } | null;
};

const withCompany = {
  company: { select: { id: true, name: true } },
  assignee: { select: { id: true, name: true } },
} as const;

/** Which follow-ups `followups` lists. */
export type FollowUpFilter =
  | { kind: 'mine'; repId: string }
  | { kind: 'today'; repId: string; timeZone: string; now: Date }
  /** The rep's follow-ups due before `before` (and from `from` on, when given): tomorrow, this week. */
  | { kind: 'mine-due'; repId: string; from?: Date; before: Date }
  | { kind: 'overdue'; now: Date }
  | { kind: 'all' }
  | { kind: 'customer'; companyId: string };

/** A follow-up by its request key (idempotency of `remind`), or null. */
export function findFollowUpByRequestKey(client: DbClient, requestKey: string): Promise<FollowUpWithCompany | null> {
  return client.followUp.findUnique({ where: { requestKey }, include: withCompany });
}

/** A follow-up by its number, or null. */
export function findFollowUpByNumber(client: DbClient, number: number): Promise<FollowUpWithCompany | null> {
  return client.followUp.findUnique({ where: { number }, include: withCompany });
}

/** Inserts a manual follow-up, open. */
export function insertManualFollowUp(
  client: DbClient,
  row: {
    requestKey: string | null;
    companyId: string;
    title: string;
    dueAt: Date;
    assigneeRepId: string;
    remindTarget: string | null;
  },
): Promise<FollowUpWithCompany> {
  return client.followUp.create({ data: { ...row, status: 'open', source: 'manual' }, include: withCompany });
}

/** What a change writes to a follow-up. */
export interface FollowUpPatch {
  status?: FollowUpStatus;
  dueAt?: Date;
  escalatedAt?: Date | null;
  completedAt?: Date | null;
  assigneeRepId?: string;
}

/** Writes a change to one follow-up and returns it as it is now. */
export function updateFollowUp(client: DbClient, id: string, patch: FollowUpPatch): Promise<FollowUpWithCompany> {
  const { assigneeRepId, ...rest } = patch;
  const data: Prisma.FollowUpUpdateInput = { ...rest };
  if (assigneeRepId) data.assignee = { connect: { id: assigneeRepId } };
  return client.followUp.update({ where: { id }, data, include: withCompany });
}

function followUpWhere(filter: FollowUpFilter): Prisma.FollowUpWhereInput {
  const where: Prisma.FollowUpWhereInput = { status: { in: [...ACTIVE_STATUSES] } };
  switch (filter.kind) {
    case 'mine':
      where.assigneeRepId = filter.repId;
      break;
    case 'today': {
      const wall = instantToWallClock(filter.now, filter.timeZone);
      const tomorrow = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 1));
      where.assigneeRepId = filter.repId;
      where.dueAt = {
        lt: zonedWallClockToInstant(
          {
            year: tomorrow.getUTCFullYear(),
            month: tomorrow.getUTCMonth() + 1,
            day: tomorrow.getUTCDate(),
            hour: 0,
            minute: 0,
          },
          filter.timeZone,
        ),
      };
      break;
    }
    case 'mine-due':
      where.assigneeRepId = filter.repId;
      where.dueAt = filter.from ? { gte: filter.from, lt: filter.before } : { lt: filter.before };
      break;
    case 'overdue':
      where.dueAt = { lt: filter.now };
      where.status = { in: [...OPEN_STATUSES] };
      break;
    case 'all':
      break;
    case 'customer':
      where.companyId = filter.companyId;
      break;
  }
  return where;
}

/** Active follow-ups matching the filter, soonest due first (then by number), one page. */
export function listActiveFollowUps(
  client: DbClient,
  filter: FollowUpFilter,
  limit: number,
  offset: number,
): Promise<FollowUpWithCompany[]> {
  return client.followUp.findMany({
    where: followUpWhere(filter),
    include: withCompany,
    orderBy: [{ dueAt: 'asc' }, { number: 'asc' }],
    take: limit,
    skip: offset,
  });
}

/** How many active follow-ups match the filter. */
export function countActiveFollowUps(client: DbClient, filter: FollowUpFilter): Promise<number> {
  return client.followUp.count({ where: followUpWhere(filter) });
}

/** Ids of the follow-ups of a company, or of its records. */
export async function findFollowUpIdsOfCompany(client: DbClient, companyId: string): Promise<string[]> {
  const rows = await client.followUp.findMany({
    where: { OR: [{ companyId }, { record: { companyId } }] },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Ids of the follow-ups of one record. */
export async function findFollowUpIdsOfRecord(client: DbClient, recordId: string): Promise<string[]> {
  const rows = await client.followUp.findMany({ where: { recordId }, select: { id: true } });
  return rows.map((r) => r.id);
}

/** Ids of a record's follow-ups that have a posted card (`messageRef`). */
export async function findPostedFollowUpIdsOfRecord(client: DbClient, recordId: string): Promise<string[]> {
  const rows = await client.followUp.findMany({ where: { recordId, messageRef: { not: null } }, select: { id: true } });
  return rows.map((r) => r.id);
}

/** Ids of a record's suggestions still waiting (only those among `ids`, when given). */
export async function findWaitingSuggestionIds(
  client: DbClient,
  where: { recordId: string; ids?: string[] },
): Promise<string[]> {
  const rows = await client.followUp.findMany({
    where: { recordId: where.recordId, status: 'suggested', ...(where.ids ? { id: { in: where.ids } } : {}) },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/**
 * Ids of waiting suggestions made by classifications of this message (only uncorrected ones when
 * `correctedLabel: null`). Read before the classifications go: the link is then cut.
 */
export async function findSuggestionIdsFromClassifications(
  client: DbClient,
  classifications: { recordId: string; messageId: string; correctedLabel?: null },
): Promise<string[]> {
  const rows = await client.followUp.findMany({
    where: { status: 'suggested', classification: classifications },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Dismisses a suggestion unless its state moved on; true when it did. */
export async function dismissSuggestion(client: DbClient, id: string, at: Date): Promise<boolean> {
  const changed = await client.followUp.updateMany({
    where: { id, status: 'suggested' },
    data: { status: 'dismissed', completedAt: at },
  });
  return changed.count > 0;
}

/** Every follow-up of a company, by number. */
export function findFollowUpsOfCompany(client: DbClient, companyId: string): Promise<FollowUp[]> {
  return client.followUp.findMany({ where: { companyId }, orderBy: { number: 'asc' } });
}

/** How many follow-ups belong to a company or to these records. */
export function countFollowUpsOfCompanyOrRecords(
  client: DbClient,
  companyId: string,
  recordIds: string[],
): Promise<number> {
  return client.followUp.count({ where: { OR: [{ companyId }, { recordId: { in: recordIds } }] } });
}

/** Follow-ups outside `recordIds` whose title or reason matches an ILIKE pattern, with their records (if any). */
export function findFollowUpsMentioning(
  client: DbClient,
  where: { recordIds: string[]; patterns: string[] },
): Promise<Array<{ id: string; recordId: string | null; title: string; reason: string | null }>> {
  return client.$queryRawUnsafe<Array<{ id: string; recordId: string | null; title: string; reason: string | null }>>(
    `SELECT id::text, "recordId"::text AS "recordId", title, reason FROM "FollowUp"
      WHERE ("recordId" IS NULL OR NOT ("recordId" = ANY($1::uuid[]))) AND (title ILIKE ANY($2::text[]) OR reason ILIKE ANY($2::text[]))`,
    where.recordIds,
    where.patterns,
  );
}

/** Writes a follow-up's redacted title and reason. */
export async function updateRedactedFollowUp(
  client: DbClient,
  id: string,
  row: { title: string; reason: string | null },
): Promise<void> {
  await client.followUp.update({ where: { id }, data: row });
}

/** One list of a rep's home page. */
export type HomeFollowUpList =
  /** The rep's open (or snoozed) follow-ups due in [from, before), soonest first. */
  | { kind: 'mine-open'; repId: string; from?: Date; before?: Date }
  /** Suggestions made since `since` for the rep or posted in (a thread of) one of `channelTargets`, newest first. */
  | { kind: 'suggestions'; repId: string; since: Date; channelTargets: string[] };

/** One page of a home list and how many match in all. */
export async function readHomeFollowUps(
  client: DbClient,
  list: HomeFollowUpList,
  take: number,
): Promise<{ rows: FollowUpWithCompany[]; total: number }> {
  let where: Prisma.FollowUpWhereInput;
  let orderBy: Prisma.FollowUpOrderByWithRelationInput[];
  if (list.kind === 'mine-open') {
    where = { assigneeRepId: list.repId, status: { in: [...OPEN_STATUSES] } };
    if (list.from || list.before)
      where.dueAt = { ...(list.from ? { gte: list.from } : {}), ...(list.before ? { lt: list.before } : {}) };
    orderBy = [{ dueAt: 'asc' }, { number: 'asc' }];
  } else {
    const targets = list.channelTargets;
    const channels: Prisma.FollowUpWhereInput[] = targets.length
      ? [{ remindTarget: { in: targets } }, ...targets.map((t) => ({ remindTarget: { startsWith: `${t}/` } }))]
      : [];
    where = { status: 'suggested', createdAt: { gte: list.since }, OR: [{ assigneeRepId: list.repId }, ...channels] };
    orderBy = [{ createdAt: 'desc' }, { number: 'desc' }];
  }
  const [rows, total] = await Promise.all([
    client.followUp.findMany({ where, include: withCompany, orderBy, take }),
    client.followUp.count({ where }),
  ]);
  return { rows, total };
}

/** The customer of the follow-up a request key created, or null. */
export async function findCompanyOfFollowUpRequest(
  client: DbClient,
  requestKey: string,
): Promise<{ id: string; name: string } | null> {
  const row = await client.followUp.findUnique({
    where: { requestKey },
    select: { company: { select: { id: true, name: true } } },
  });
  return row?.company ?? null;
}

/** The three lists of a channel's daily digest. */
export interface DigestFollowUps {
  /** Open ones due in [dayStart, dayEnd), soonest first. */
  dueToday: FollowUpWithCompany[];
  /** Open ones due before dayStart, soonest first. */
  overdue: FollowUpWithCompany[];
  /** Suggestions made since `suggestedSince`, newest first. */
  suggested: FollowUpWithCompany[];
}

/**
 * A digest's follow-ups: those of `companyIds` (the customers whose team channel it is), or with
 * `companyIds` null those of no customer or of a customer without a team channel (the default channel).
 */
export async function readDigestFollowUps(
  client: DbClient,
  where: { companyIds: string[] | null; dayStart: Date; dayEnd: Date; suggestedSince: Date },
): Promise<DigestFollowUps> {
  const scope: Prisma.FollowUpWhereInput = where.companyIds
    ? { companyId: { in: where.companyIds } }
    : { OR: [{ companyId: null }, { company: { teamChannel: null } }] };
  const open = { in: [...OPEN_STATUSES] };
  const [dueToday, overdue, suggested] = await Promise.all([
    client.followUp.findMany({
      where: { ...scope, status: open, dueAt: { gte: where.dayStart, lt: where.dayEnd } },
      include: withCompany,
      orderBy: { dueAt: 'asc' },
    }),
    client.followUp.findMany({
      where: { ...scope, status: open, dueAt: { lt: where.dayStart } },
      include: withCompany,
      orderBy: { dueAt: 'asc' },
    }),
    client.followUp.findMany({
      where: { ...scope, status: 'suggested', createdAt: { gte: where.suggestedSince } },
      include: withCompany,
      orderBy: { createdAt: 'desc' },
    }),
  ]);
  return { dueToday, overdue, suggested };
}

/** What the reminder, escalation and card jobs read of a follow-up before they act. */
export interface FollowUpSchedule {
  id: string;
  status: FollowUpStatus;
  dueAt: Date;
  remindTarget: string | null;
  escalatedAt: Date | null;
  messageRef: string | null;
  updatedAt: Date;
  assignee: { platformUserIds: string[] } | null;
}

/** A follow-up's state, due time, targets and posted card, or null when it is gone. */
export function findFollowUpSchedule(client: DbClient, id: string): Promise<FollowUpSchedule | null> {
  return client.followUp.findUnique({
    where: { id },
    select: {
      id: true,
      status: true,
      dueAt: true,
      remindTarget: true,
      escalatedAt: true,
      messageRef: true,
      updatedAt: true,
      assignee: { select: { platformUserIds: true } },
    },
  });
}

/**
 * Marks an open follow-up due at `due` escalated (once per due time: not when it was escalated at or
 * after `due` already).
 */
export async function markEscalated(client: DbClient, id: string, due: Date, at: Date): Promise<void> {
  await client.followUp.updateMany({
    where: {
      id,
      status: { in: [...OPEN_STATUSES] },
      dueAt: due,
      OR: [{ escalatedAt: null }, { escalatedAt: { lt: due } }],
    },
    data: { escalatedAt: at },
  });
}

/** One page of open follow-ups by id, after `cursor` (exclusive). */
export function listOpenFollowUpsPage(
  client: DbClient,
  cursor: string | undefined,
  take: number,
): Promise<Array<{ id: string; dueAt: Date; escalatedAt: Date | null }>> {
  return client.followUp.findMany({
    where: { status: { in: [...OPEN_STATUSES] } },
    select: { id: true, dueAt: true, escalatedAt: true },
    orderBy: { id: 'asc' },
    take,
    ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
  });
}

/** Which of these follow-up ids (uuids) still exist. */
export async function findExistingFollowUpIds(sql: SqlRunner, uuids: string[]): Promise<Set<string>> {
  const rows = await sql.query<{ id: string }>(`SELECT id FROM "FollowUp" WHERE id = ANY($1::uuid[])`, [uuids]);
  return new Set(rows.map((r) => r.id));
}

/** The follow-up whose posted card is one of these message refs ("<target>|<message id>"), or undefined. */
export async function findFollowUpIdByMessageRef(client: DbClient, refs: string[]): Promise<string | undefined> {
  const row = await client.followUp.findFirst({ where: { messageRef: { in: refs } }, select: { id: true } });
  return row?.id;
}
