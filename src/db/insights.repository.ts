import { splitForRollups } from '../domain/rollup-window.ts';
import { ANSWERED_CHANNELS, ANSWERING_LOGS, customerTurnsSql } from './customer-turns.sql.ts';
import { customerVoice } from './customer-voice.sql.ts';
import { randomUUID } from 'node:crypto';
import type { Database, SqlRunner } from './database.ts';
import type { DbClient } from './db-client.ts';
import { rollupCoverage, rollupState } from './insight-rollups.repository.ts';

/** The label a message carries: a rep's correction wins over the classifier's. */
const LABEL = `COALESCE(c."correctedLabel", c.label)`;

/** Where a customer's internal cards go: its team channel, or the default channel. */
const TEAM = `COALESCE(tc.platform::text || ':' || tc."channelRef", 'default')`;

const asDate = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

/**
 * Inbound messages of the intervals between `cuts` as rows ("recordId", at, label, n, ssum, sn, last):
 * whole UTC days the rollups cover come from InsightDaily (one row per day, conversation and label,
 * `at` its midnight), the rest one row per message, so sums over an interval equal the live ones.
 * A day and conversation marked stale (InsightStaleDay: a message or classification of it changed since
 * the rollups read it, a correction, an edit, a delete, an erasure) is read from its messages instead.
 * `perRecord`: rows ("recordId", at, n, churn, issue, ssum, sn, last) instead, whole days from
 * InsightRecordDaily (one row per day and conversation; churn and issue count those labels).
 * Appends its parameters to `params`.
 */
async function inboundRows(sql: SqlRunner, cuts: Date[], params: unknown[], perRecord = false): Promise<string> {
  const split = splitForRollups(cuts, await rollupCoverage(sql));
  const at = (v: unknown) => `$${params.push(v)}`;
  const parts: string[] = [];
  const perMessage = `${
    perRecord
      ? `1 AS n, (${LABEL} IS NOT DISTINCT FROM 'churn')::int AS churn, (${LABEL} IS NOT DISTINCT FROM 'issue')::int AS issue`
      : `${LABEL} AS label, 1 AS n`
  }, COALESCE(c.sentiment, 0)::float8 AS ssum, (c.sentiment IS NOT NULL)::int AS sn, m."sentAt" AS last`;
  if (split.days.length > 0) {
    const days = at(split.days);
    // Without a mark (the usual case) the anti-join reads an empty index: the rollups' speed stays.
    const fresh = `NOT EXISTS (SELECT 1 FROM "InsightStaleDay" x WHERE x.day = d.day AND x."recordId" = d."recordId")`;
    parts.push(
      perRecord
        ? `SELECT d."recordId", (d.day::timestamp AT TIME ZONE 'UTC') AS at, d.inbound AS n, d.churn, d.issue,
              d."sentimentSum" AS ssum, d."sentimentN" AS sn, d."lastInboundAt" AS last
         FROM "InsightRecordDaily" d WHERE d.day = ANY(${days}::date[]) AND ${fresh}`
        : `SELECT d."recordId", (d.day::timestamp AT TIME ZONE 'UTC') AS at, NULLIF(d.label, '') AS label,
              d.inbound AS n, d."sentimentSum" AS ssum, d."sentimentN" AS sn, d."lastInboundAt" AS last
         FROM "InsightDaily" d WHERE d.day = ANY(${days}::date[]) AND ${fresh}`,
      // The stale days' messages, each at its own time (inside its day, so inside the same interval).
      `SELECT m."recordId", m."sentAt" AS at, ${perMessage}
         FROM (SELECT DISTINCT x.day, x."recordId" FROM "InsightStaleDay" x WHERE x.day = ANY(${days}::date[])) x
         JOIN "Message" m ON m."recordId" = x."recordId"
              AND m."sentAt" >= (x.day::timestamp AT TIME ZONE 'UTC') AND m."sentAt" < ((x.day + 1)::timestamp AT TIME ZONE 'UTC')
         LEFT JOIN "Classification" c ON c."recordId" = m."recordId" AND c."messageId" = m.id
        WHERE ${customerVoice('m')}`,
    );
  }
  if (split.live.length > 0)
    parts.push(`SELECT m."recordId", m."sentAt" AS at, ${perMessage}
         FROM "Message" m
         LEFT JOIN "Classification" c ON c."recordId" = m."recordId" AND c."messageId" = m.id
        WHERE ${customerVoice('m')}
          AND (${split.live.map(([a, b]) => `(m."sentAt" >= ${at(a)} AND m."sentAt" < ${at(b)})`).join(' OR ')})`);
  const none = perRecord
    ? `SELECT NULL::uuid AS "recordId", NULL::timestamptz AS at, 0 AS n, 0 AS churn, 0 AS issue, 0::float8 AS ssum, 0 AS sn, NULL::timestamptz AS last WHERE false`
    : `SELECT NULL::uuid AS "recordId", NULL::timestamptz AS at, NULL::text AS label, 0 AS n, 0::float8 AS ssum, 0 AS sn, NULL::timestamptz AS last WHERE false`;
  return `(${parts.join(' UNION ALL ') || none})`;
}

/** An inbound message of a period, with its customer and label, as the topic clustering reads it. */
export interface InboundText {
  id: string;
  recordId: string;
  companyId: string | null;
  text: string;
  sentAt: Date;
  label: string | null;
}

/**
 * Inbound messages sent in [from, to): a deterministic sample of at most `limit` (ordered by a hash
 * of the id, so the same period always gives the same sample), and how many there were in all
 * (whole days from the rollups, as inboundCountsByLabel).
 */
export async function inboundTexts(
  sql: SqlRunner,
  p: { from: Date; to: Date; companyIds?: string[]; limit: number },
): Promise<{ rows: InboundText[]; total: number }> {
  const scope = p.companyIds ? `AND r."companyId" = ANY($3::uuid[])` : '';
  const params: unknown[] = [p.from, p.to];
  if (p.companyIds) params.push(p.companyIds);
  const total = [...(await inboundCountsByLabel(sql, p)).values()].reduce((a, b) => a + b, 0);
  // The sample's ids first (a sort of narrow rows), then the text and label of those alone: sorting
  // every message of 45 days with its text and label took most of the first topics call (bench:insights).
  const rows = await sql.query<InboundText & { sentAt: Date | string }>(
    `WITH pick AS (
       SELECT m.id, m."recordId", hashtext(m.id::text) AS h
         FROM "Message" m ${p.companyIds ? `JOIN "CommunicationRecord" r ON r.id = m."recordId"` : ''}
        WHERE ${customerVoice('m')} AND m."sentAt" >= $1 AND m."sentAt" < $2 ${scope}
        ORDER BY 3, m.id
        LIMIT ${Math.max(1, Math.floor(p.limit))}
     )
     SELECT m.id, m."recordId", r."companyId", m."cleanText" AS text, m."sentAt", ${LABEL} AS label
       FROM pick JOIN "Message" m ON m.id = pick.id
       JOIN "CommunicationRecord" r ON r.id = m."recordId"
       LEFT JOIN "Classification" c ON c."recordId" = pick."recordId" AND c."messageId" = pick.id
      ORDER BY pick.h, pick.id`,
    params,
  );
  return { rows: rows.map((r) => ({ ...r, sentAt: asDate(r.sentAt)! })), total };
}

/** Inbound messages of a period per label (all of them, not the sample; whole days from the rollups). */
export async function inboundCountsByLabel(
  sql: SqlRunner,
  p: { from: Date; to: Date; companyIds?: string[] },
): Promise<Map<string, number>> {
  const params: unknown[] = [];
  const scope = p.companyIds ? `AND r."companyId" = ANY($${params.push(p.companyIds)}::uuid[])` : '';
  const rows = await sql.query<{ label: string | null; n: number }>(
    `SELECT s.label, sum(s.n)::int AS n
       FROM ${await inboundRows(sql, [p.from, p.to], params)} s
       JOIN "CommunicationRecord" r ON r.id = s."recordId"
      WHERE true ${scope}
      GROUP BY 1`,
    params,
  );
  return new Map(rows.map((r) => [r.label ?? 'unlabelled', r.n]));
}

/**
 * A customer's turn in a conversation: the first inbound message after a reply (or the first of the
 * conversation; acknowledgements open none), and the first answer after it, if any (customer-turns.sql.ts).
 */
export interface CustomerTurn {
  /** The inbound message that opened the turn. */
  messageId: string;
  recordId: string;
  companyId: string | null;
  companyName: string | null;
  channelKind: string;
  team: string;
  /** `first`: the conversation's first message; `follow-up`: a later turn after a reply. */
  kind: 'first' | 'follow-up';
  askedAt: Date;
  /**
   * The reply: the first answer at or after askedAt, an outbound message in the same conversation or in
   * another of the customer's, or a call or meeting a rep logged for the customer.
   */
  reply: { messageId: string; at: Date; responder: string } | null;
  /** Asked before the period and still unanswered at its end (`openSince`): counts as waiting, not as one of the period's turns. */
  carried?: boolean;
}

/**
 * Customer turns opened in [from, to) on email and chat, with their replies. A turn opens at an
 * inbound message whose previous message in the conversation (any time before) was not inbound.
 * Turns opened before the rollups' coverage end come from InsightTurn (a reply the job did not see
 * yet is looked up live), later ones are computed from the messages. `unansweredOnly`: only the turns
 * with no reply before `to` (what the health score reads: a tenth of the rows or fewer). `openSince`
 * (before `from`): also the turns asked in [openSince, from) still unanswered at `to`, marked `carried`
 * and listed first.
 */
export async function customerTurns(
  sql: SqlRunner,
  p: { from: Date; to: Date; companyIds?: string[]; unansweredOnly?: boolean; openSince?: Date },
): Promise<CustomerTurn[]> {
  return (await turnsToTime(sql, p)).turns;
}

/** The stored turns opened in [from, storedTo) whose reply (before `to`) is already timed in InsightTurn. */
export interface TimedInStore {
  from: Date;
  storedTo: Date;
  to: Date;
  companyIds?: string[];
}

/** Which turns to read: asked in [from, askedBefore) (default `to`), replies before `to`. */
interface TurnsWindow {
  from: Date;
  to: Date;
  askedBefore?: Date;
  companyIds?: string[];
  unansweredOnly?: boolean;
  hoursKey?: string;
}

/**
 * customerTurns, less the stored answered turns whose reply minutes the rollups hold in the business
 * hours `hoursKey` (businessHoursKey): those are summed in SQL (storedResponseStats) and `inStore`
 * says which; without a match every turn comes back. `openSince`: as customerTurns (the carried turns
 * are unanswered, so all of them come back).
 */
export async function turnsToTime(
  sql: SqlRunner,
  p: { from: Date; to: Date; companyIds?: string[]; unansweredOnly?: boolean; hoursKey?: string; openSince?: Date },
): Promise<{ turns: CustomerTurn[]; inStore?: TimedInStore }> {
  const period = await windowTurns(sql, p);
  if (!p.openSince || p.openSince >= p.from) return period;
  const open = await windowTurns(sql, {
    from: p.openSince,
    askedBefore: p.from,
    to: p.to,
    companyIds: p.companyIds,
    unansweredOnly: true,
  });
  return { ...period, turns: [...open.turns.map((t) => ({ ...t, carried: true })), ...period.turns] };
}

/** The turns of one window: stored ones up to the rollups' coverage end, live ones after. */
async function windowTurns(sql: SqlRunner, p: TurnsWindow): Promise<{ turns: CustomerTurn[]; inStore?: TimedInStore }> {
  const askedBefore = p.askedBefore ?? p.to;
  const state = await rollupState(sql);
  const covered = state?.until;
  if (!covered || covered <= p.from) return { turns: await liveCustomerTurns(sql, { ...p, askedBefore }) };
  const storedTo = new Date(Math.min(covered.getTime(), askedBefore.getTime()));
  const timed = p.hoursKey !== undefined && state.hoursKey === p.hoursKey;
  const params: unknown[] = [p.from, storedTo, p.to];
  const scope = p.companyIds ? `AND r."companyId" = ANY($${params.push(p.companyIds)}::uuid[])` : '';
  // Answers the job did not see yet (sent since its coverage end) to turns it saw unanswered: a
  // separate probe, as a LATERAL per stored turn made the whole read 4x slower (bench:insights). The
  // answers of those days first (Message's sentAt index), then joined to the turns: a reply in the
  // turn's conversation, a call or meeting logged for its customer. One equi-join each, added up: a
  // single join ON (same conversation) OR (same customer) is a filtered cross product (45d health at a
  // million messages: 1,326 answers x 1,722 open turns, 2.3 million pairs, 1.9 s of its 2.9 s).
  const late = await sql.query<{ turnId: string; id: string; sentAt: Date | string; responder: string }>(
    `WITH answers AS MATERIALIZED (
       SELECT x.id, x."recordId", x.direction, x."sentAt", x."authorName", x."authorEmail", xr."companyId"
         FROM "Message" x JOIN "CommunicationRecord" xr ON xr.id = x."recordId"
        WHERE x."sentAt" >= $4 AND x."sentAt" < $3
          AND ((x.direction = 'outbound' AND xr."channelKind" IN ${ANSWERED_CHANNELS})
               OR (x.direction = 'internal' AND xr."channelKind" IN ${ANSWERING_LOGS} AND xr."companyId" IS NOT NULL))
     ), open AS MATERIALIZED (
       SELECT t."messageId", t."recordId", tr."companyId"
         FROM "InsightTurn" t JOIN "CommunicationRecord" tr ON tr.id = t."recordId"
        WHERE t."replyId" IS NULL AND t."askedAt" >= $1 AND t."askedAt" < $2
     ), matched AS (
       SELECT o."messageId", x.* FROM open o JOIN answers x ON x."recordId" = o."recordId" AND x.direction = 'outbound'
       UNION ALL
       SELECT o."messageId", x.* FROM open o JOIN answers x ON x."companyId" = o."companyId" AND x.direction = 'internal'
     )
     SELECT DISTINCT ON (x."messageId") x."messageId" AS "turnId", x.id, x."sentAt",
            COALESCE(rp.name, x."authorName", x."authorEmail", 'unknown') AS responder
       FROM matched x
       LEFT JOIN "Rep" rp ON rp.email = lower(x."authorEmail")
      ORDER BY x."messageId", x."sentAt", x.id`,
    [p.from, storedTo, p.to, covered],
  );
  const lateOf = new Map(late.map((l) => [l.turnId, l]));
  const rows = await sql.query<TurnRow>(
    `SELECT t."messageId", t."recordId", r."companyId", co.name AS "companyName", r."channelKind"::text AS "channelKind",
            ${TEAM} AS team, t.first, t."askedAt",
            CASE WHEN t."repliedAt" < $3 THEN t."replyId" END AS "replyId",
            CASE WHEN t."repliedAt" < $3 THEN t."repliedAt" END AS "repliedAt",
            COALESCE(rp.name, t."replyAuthorName", t."replyAuthorEmail", 'unknown') AS responder
       FROM "InsightTurn" t
       JOIN "CommunicationRecord" r ON r.id = t."recordId"
       LEFT JOIN "Company" co ON co.id = r."companyId"
       LEFT JOIN "TeamChannel" tc ON tc."companyId" = r."companyId"
       LEFT JOIN "Rep" rp ON rp.email = lower(t."replyAuthorEmail")
      WHERE t."askedAt" >= $1 AND t."askedAt" < $2 AND r."channelKind" IN ${ANSWERED_CHANNELS} ${scope}
        ${p.unansweredOnly ? `AND (t."replyId" IS NULL OR t."repliedAt" >= $3)` : ''}
        ${timed ? `AND NOT (t."replyMinutes" IS NOT NULL AND t."repliedAt" < $3)` : ''}
      ORDER BY t."askedAt", t."messageId"`,
    params,
  );
  for (const r of rows) {
    const l = r.replyId ? undefined : lateOf.get(r.messageId);
    if (l) Object.assign(r, { replyId: l.id, repliedAt: l.sentAt, responder: l.responder });
  }
  const stored = (p.unansweredOnly ? rows.filter((r) => !r.replyId) : rows).map(turnOf);
  const turns =
    storedTo < askedBefore
      ? [...stored, ...(await liveCustomerTurns(sql, { ...p, from: storedTo, askedBefore }))]
      : stored;
  return timed ? { turns, inStore: { from: p.from, storedTo, to: p.to, companyIds: p.companyIds } } : { turns };
}

/** A turn timed in JavaScript, handed to storedResponseStats to be counted with the stored ones. */
export interface TimedTurnFigures {
  team: string;
  channelKind: string;
  kind: 'first' | 'follow-up';
  /** The answering rep; null when unanswered. */
  responder: string | null;
  minutes: number;
  overdue: boolean;
  /** Asked before the period, still open (CustomerTurn.carried): counts as overdue only. */
  carried: boolean;
}

/** Response-time figures of one group and kind, as storedResponseStats sums them. */
export interface GroupFigures {
  dimension: 'overall' | 'rep' | 'team' | 'channel';
  group: string;
  kind: 'first' | 'follow-up' | 'all';
  turns: number;
  answered: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
  withinTarget: number;
  judged: number;
  overdue: number;
}

/** The stored answered turns of `inStore`, each with its team, channel, kind, responder and minutes. */
function storedAnswered(inStore: TimedInStore, params: unknown[]): string {
  const at = (v: unknown) => `$${params.push(v)}`;
  const scope = inStore.companyIds ? `AND r."companyId" = ANY(${at(inStore.companyIds)}::uuid[])` : '';
  return `SELECT t."messageId", t."recordId", t."askedAt", t."replyId", t."repliedAt", r."companyId", r."channelKind"::text AS "channelKind",
                 ${TEAM} AS team, CASE WHEN t.first THEN 'first' ELSE 'follow-up' END AS kind,
                 COALESCE(rp.name, t."replyAuthorName", t."replyAuthorEmail", 'unknown') AS responder,
                 t."replyMinutes" AS minutes
            FROM "InsightTurn" t
            JOIN "CommunicationRecord" r ON r.id = t."recordId"
            LEFT JOIN "TeamChannel" tc ON tc."companyId" = r."companyId"
            LEFT JOIN "Rep" rp ON rp.email = lower(t."replyAuthorEmail")
           WHERE t."askedAt" >= ${at(inStore.from)} AND t."askedAt" < ${at(inStore.storedTo)}
             AND t."replyMinutes" IS NOT NULL AND t."repliedAt" < ${at(inStore.to)}
             AND r."channelKind" IN ${ANSWERED_CHANNELS} ${scope}`;
}

/**
 * Counts, nearest-rank median and p90 (percentile_disc: the ceil(p * n)-th value, as responseStats)
 * and turns within `targetMinutes`, per rep, team, channel and overall, each per kind and for all
 * kinds: over the stored answered turns of `inStore` (minutes from InsightTurn) and `extra`.
 */
export async function storedResponseStats(
  sql: SqlRunner,
  inStore: TimedInStore,
  extra: readonly TimedTurnFigures[],
  targetMinutes: number,
): Promise<GroupFigures[]> {
  const params: unknown[] = [];
  const stored = storedAnswered(inStore, params);
  const at = (v: unknown) => `$${params.push(v)}`;
  const rows = await sql.query<GroupFigures>(
    `WITH t AS (
       SELECT s.team, s."channelKind", s.kind, s.responder, s.minutes::float8 AS minutes, true AS answered, false AS overdue,
              false AS carried
         FROM (${stored}) s
       UNION ALL
       SELECT * FROM unnest(${at(extra.map((e) => e.team))}::text[], ${at(extra.map((e) => e.channelKind))}::text[],
                            ${at(extra.map((e) => e.kind))}::text[], ${at(extra.map((e) => e.responder))}::text[],
                            ${at(extra.map((e) => e.minutes))}::float8[], ${at(extra.map((e) => e.responder !== null))}::bool[],
                            ${at(extra.map((e) => e.overdue))}::bool[], ${at(extra.map((e) => e.carried))}::bool[])
     )
     -- One grouping set per figure: each dimension with and without the kind. Unanswered turns have no
     -- responder (answered ones always do) and count for no rep. Unrolling the four dimensions into one
     -- list instead sorted 470,000 rows on disk for a 45-day window (bench:insights, 2 s at load 20).
     SELECT CASE WHEN GROUPING(t.responder) = 0 THEN 'rep' WHEN GROUPING(t.team) = 0 THEN 'team'
                 WHEN GROUPING(t."channelKind") = 0 THEN 'channel' ELSE 'overall' END AS dimension,
            CASE WHEN GROUPING(t.responder) = 0 THEN t.responder WHEN GROUPING(t.team) = 0 THEN t.team
                 WHEN GROUPING(t."channelKind") = 0 THEN t."channelKind" ELSE 'everyone' END AS "group",
            CASE WHEN GROUPING(t.kind) = 0 THEN t.kind ELSE 'all' END AS kind,
            count(*) FILTER (WHERE NOT t.carried)::int AS turns, count(*) FILTER (WHERE t.answered)::int AS answered,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY t.minutes) FILTER (WHERE t.answered) AS "medianMinutes",
            percentile_disc(0.9) WITHIN GROUP (ORDER BY t.minutes) FILTER (WHERE t.answered) AS "p90Minutes",
            count(*) FILTER (WHERE t.answered AND t.minutes <= ${at(targetMinutes)})::int AS "withinTarget",
            count(*) FILTER (WHERE (t.answered OR t.overdue) AND NOT t.carried)::int AS judged,
            count(*) FILTER (WHERE t.overdue)::int AS overdue
       FROM t
      GROUP BY GROUPING SETS ((t.kind), (), (t.responder, t.kind), (t.responder), (t.team, t.kind), (t.team),
                              (t."channelKind", t.kind), (t."channelKind"))
     HAVING GROUPING(t.responder) = 1 OR t.responder IS NOT NULL`,
    params,
  );
  return rows.map((r) => ({
    ...r,
    medianMinutes: r.medianMinutes === null ? null : Number(r.medianMinutes),
    p90Minutes: r.p90Minutes === null ? null : Number(r.p90Minutes),
  }));
}

/** The `limit` stored answered turns of `inStore` with the longest reply minutes (ties: asked first). */
export async function slowestStoredTurns(
  sql: SqlRunner,
  inStore: TimedInStore,
  limit: number,
): Promise<(CustomerTurn & { minutes: number })[]> {
  const params: unknown[] = [];
  const at = (v: unknown) => `$${params.push(v)}`;
  const scope = inStore.companyIds ? `AND r."companyId" = ANY(${at(inStore.companyIds)}::uuid[])` : '';
  // The top turns first (a top-N sort over the turns alone), then their names: not joined per turn.
  const rows = await sql.query<TurnRow & { minutes: number }>(
    `SELECT s."messageId", s."recordId", s."companyId", co.name AS "companyName", s."channelKind", ${TEAM} AS team,
            s.first, s."askedAt", s."replyId", s."repliedAt",
            COALESCE(rp.name, s."replyAuthorName", s."replyAuthorEmail", 'unknown') AS responder, s.minutes
       FROM (SELECT t."messageId", t."recordId", r."companyId", r."channelKind"::text AS "channelKind", t.first, t."askedAt",
                    t."replyId", t."repliedAt", t."replyAuthorName", t."replyAuthorEmail", t."replyMinutes"::float8 AS minutes
               FROM "InsightTurn" t JOIN "CommunicationRecord" r ON r.id = t."recordId"
              WHERE t."askedAt" >= ${at(inStore.from)} AND t."askedAt" < ${at(inStore.storedTo)}
                AND t."replyMinutes" IS NOT NULL AND t."repliedAt" < ${at(inStore.to)}
                AND r."channelKind" IN ${ANSWERED_CHANNELS} ${scope}
              ORDER BY t."replyMinutes" DESC, t."askedAt", t."messageId"
              LIMIT ${Math.max(1, Math.floor(limit))}) s
       LEFT JOIN "Company" co ON co.id = s."companyId"
       LEFT JOIN "TeamChannel" tc ON tc."companyId" = s."companyId"
       LEFT JOIN "Rep" rp ON rp.email = lower(s."replyAuthorEmail")
      ORDER BY s.minutes DESC, s."askedAt", s."messageId"`,
    params,
  );
  return rows.map((r) => ({ ...turnOf(r), minutes: Number(r.minutes) }));
}

interface TurnRow {
  messageId: string;
  recordId: string;
  companyId: string | null;
  companyName: string | null;
  channelKind: string;
  team: string;
  first: boolean;
  askedAt: Date | string;
  replyId: string | null;
  repliedAt: Date | string | null;
  responder: string | null;
}

const turnOf = (r: TurnRow): CustomerTurn => ({
  messageId: r.messageId,
  recordId: r.recordId,
  companyId: r.companyId,
  companyName: r.companyName,
  channelKind: r.channelKind,
  team: r.team,
  kind: r.first ? 'first' : 'follow-up',
  askedAt: asDate(r.askedAt)!,
  reply: r.replyId ? { messageId: r.replyId, at: asDate(r.repliedAt)!, responder: r.responder ?? 'unknown' } : null,
});

/** customerTurns asked in [from, askedBefore) computed from the messages alone (replies before `to`). */
async function liveCustomerTurns(
  sql: SqlRunner,
  p: { from: Date; to: Date; askedBefore: Date; companyIds?: string[]; unansweredOnly?: boolean },
): Promise<CustomerTurn[]> {
  const scope = p.companyIds ? `AND r."companyId" = ANY($4::uuid[])` : '';
  const rows = await sql.query<TurnRow>(
    customerTurnsSql({
      messagesWhere: `r."lastMessageAt" >= $1 AND r."startedAt" < $2 AND m."sentAt" < $2 ${scope}`,
      carry: ['r."companyId"', 'r."channelKind"'],
      select: `o.id AS "messageId", o."recordId", o."companyId", co.name AS "companyName", o."channelKind"::text AS "channelKind",
            ${TEAM} AS team, (o."prevDirection" IS NULL) AS first, o."sentAt" AS "askedAt",
            rep.id AS "replyId", rep."sentAt" AS "repliedAt",
            COALESCE(rp.name, rep."authorName", rep."authorEmail", 'unknown') AS responder`,
      joins: `LEFT JOIN "Company" co ON co.id = o."companyId"
       LEFT JOIN "TeamChannel" tc ON tc."companyId" = o."companyId"
       LEFT JOIN "Rep" rp ON rp.email = lower(rep."authorEmail")`,
      where: `o."sentAt" >= $1 AND o."sentAt" < $3${p.unansweredOnly ? ` AND o."replyAt" IS NULL` : ''}`,
      orderBy: 'o."sentAt", o.id',
    }),
    p.companyIds ? [p.from, p.to, p.askedBefore, p.companyIds] : [p.from, p.to, p.askedBefore],
  );
  return rows.map(turnOf);
}

/** What the health score of one customer reads, over a period split in two halves. */
export interface CustomerSignals {
  companyId: string;
  name: string;
  team: string;
  /** Conversations with an inbound message labelled churn / issue in the period (at most 5, lowest ids first). */
  churnRecords: string[];
  churnMessages: number;
  issueRecords: string[];
  issueMessages: number;
  /** Mean sentiment of inbound messages in the earlier and the later half, and how many had one. */
  sentimentEarlier: number | null;
  sentimentEarlierN: number;
  sentimentLater: number | null;
  sentimentLaterN: number;
  /** Last inbound message or logged call in [horizon, to), null when none (see customerSignals). */
  lastInboundAt: Date | null;
  overdueFollowUps: number[];
}

/**
 * Per-customer signals for the health score: labels, sentiment halves, last inbound message and
 * overdue follow-ups. The last contact is looked for from `horizon` (before `from` when the period is
 * shorter: silence is measured from the last contact whatever the period). Customers with no inbound
 * message since `horizon` and no overdue follow-up are left out (nothing to score).
 */
export async function customerSignals(
  sql: SqlRunner,
  p: { from: Date; to: Date; now: Date; horizon: Date; companyIds?: string[] },
): Promise<CustomerSignals[]> {
  const span = p.to.getTime() - p.from.getTime();
  const lookback = new Date(Math.min(p.horizon.getTime(), p.from.getTime()));
  const middle = new Date(p.from.getTime() + span / 2);
  const scope = p.companyIds ? `AND r."companyId" = ANY($4::uuid[])` : '';
  const fscope = p.companyIds ? `AND f."companyId" = ANY($4::uuid[])` : '';
  const params: unknown[] = [p.from, middle, p.now];
  if (p.companyIds) params.push(p.companyIds);
  // The lookback reaches the silence horizon (180 days before `to`, not one period: a customer silent
  // longer than the period was left out and showed as healthy). Rows before `from` feed only the last
  // contact.
  // Whole days of the lookback, the earlier and the later half from the per-conversation rollups (no
  // day straddles a cut): 25,000 rows for a 45-day lookback at a million messages where the per-label
  // ones held 90,000. The churn and issue conversations come back once per row, deduplicated below.
  // Every row lies in [lookback, to) by construction: filtering on it again made the planner expect a
  // few hundred rows and probe CommunicationRecord 90,000 times (bench:insights, 45d health).
  const source = await inboundRows(sql, [lookback, p.from, middle, p.to], params, true);
  const rows = await sql.query<{
    companyId: string;
    name: string;
    team: string;
    churnRecords: string[] | null;
    churnMessages: number | null;
    issueRecords: string[] | null;
    issueMessages: number | null;
    sentimentEarlier: number | null;
    sentimentEarlierN: number | null;
    sentimentLater: number | null;
    sentimentLaterN: number | null;
    lastInboundAt: Date | string | null;
    overdue: number[] | null;
  }>(
    `WITH msg AS (
       SELECT r."companyId", s."recordId", r."channelKind", s.at AS "sentAt", s.n, s.churn, s.issue, s.ssum, s.sn, s.last
         FROM ${source} s
         JOIN "CommunicationRecord" r ON r.id = s."recordId"
        WHERE r."companyId" IS NOT NULL ${scope}
     ), per AS (
       SELECT "companyId",
              array_agg("recordId") FILTER (WHERE churn > 0 AND "sentAt" >= $1) AS "churnRecords",
              COALESCE(sum(churn) FILTER (WHERE "sentAt" >= $1), 0)::int AS "churnMessages",
              array_agg("recordId") FILTER (WHERE issue > 0 AND "sentAt" >= $1) AS "issueRecords",
              COALESCE(sum(issue) FILTER (WHERE "sentAt" >= $1), 0)::int AS "issueMessages",
              sum(ssum) FILTER (WHERE "sentAt" >= $1 AND "sentAt" < $2)
                / NULLIF(sum(sn) FILTER (WHERE "sentAt" >= $1 AND "sentAt" < $2), 0) AS "sentimentEarlier",
              COALESCE(sum(sn) FILTER (WHERE "sentAt" >= $1 AND "sentAt" < $2), 0)::int AS "sentimentEarlierN",
              sum(ssum) FILTER (WHERE "sentAt" >= $2) / NULLIF(sum(sn) FILTER (WHERE "sentAt" >= $2), 0) AS "sentimentLater",
              COALESCE(sum(sn) FILTER (WHERE "sentAt" >= $2), 0)::int AS "sentimentLaterN",
              -- A note is what a rep wrote down ("chased again, no answer"), not contact with the customer.
              max(last) FILTER (WHERE "channelKind" <> 'note') AS "lastInboundAt"
         FROM msg GROUP BY "companyId"
     ), overdue AS (
       SELECT f."companyId", array_agg(f.number ORDER BY f."dueAt") AS overdue
         FROM "FollowUp" f
        WHERE f.status = 'open' AND f."dueAt" < $3 AND f."companyId" IS NOT NULL ${fscope}
        GROUP BY f."companyId"
     )
     SELECT co.id AS "companyId", co.name, ${TEAM} AS team, per."churnRecords", per."churnMessages",
            per."issueRecords", per."issueMessages", per."sentimentEarlier"::float8 AS "sentimentEarlier",
            per."sentimentEarlierN", per."sentimentLater"::float8 AS "sentimentLater", per."sentimentLaterN",
            per."lastInboundAt", overdue.overdue
       FROM (SELECT "companyId" FROM per UNION SELECT "companyId" FROM overdue) ids
       JOIN "Company" co ON co.id = ids."companyId"
       LEFT JOIN per ON per."companyId" = co.id
       LEFT JOIN overdue ON overdue."companyId" = co.id
       LEFT JOIN "TeamChannel" tc ON tc."companyId" = co.id`,
    params,
  );
  return rows.map((r) => ({
    companyId: r.companyId,
    name: r.name,
    team: r.team,
    churnRecords: firstIds(r.churnRecords),
    churnMessages: r.churnMessages ?? 0,
    issueRecords: firstIds(r.issueRecords),
    issueMessages: r.issueMessages ?? 0,
    sentimentEarlier: r.sentimentEarlier === null ? null : Number(r.sentimentEarlier),
    sentimentEarlierN: r.sentimentEarlierN ?? 0,
    sentimentLater: r.sentimentLater === null ? null : Number(r.sentimentLater),
    sentimentLaterN: r.sentimentLaterN ?? 0,
    lastInboundAt: asDate(r.lastInboundAt),
    overdueFollowUps: r.overdue ?? [],
  }));
}

/**
 * The first 5 distinct ids in ascending order (as PostgreSQL orders uuids: by their bytes, which is the
 * order of their lower-case hex text).
 */
function firstIds(ids: string[] | null): string[] {
  return ids ? [...new Set(ids.map((id) => id.toLowerCase()))].sort().slice(0, 5) : [];
}

/** One point of a sentiment series: a day or week, a group (customer, team, label) and the mean. */
export interface SentimentPoint {
  bucket: Date;
  group: string;
  mean: number;
  n: number;
}

/** Mean sentiment of inbound messages per `unit` bucket and group, over [from, to). */
export async function sentimentSeries(
  sql: SqlRunner,
  p: { from: Date; to: Date; unit: 'day' | 'week'; by: 'all' | 'customer' | 'team' | 'label'; companyIds?: string[] },
): Promise<SentimentPoint[]> {
  const group =
    p.by === 'customer'
      ? 'co.name'
      : p.by === 'team'
        ? TEAM
        : p.by === 'label'
          ? `COALESCE(s.label, 'unlabelled')`
          : `'all'`;
  const params: unknown[] = [];
  const scope = p.companyIds ? `AND r."companyId" = ANY($${params.push(p.companyIds)}::uuid[])` : '';
  // Whole days from the rollups (a day lies in one week: UTC weeks start at a UTC midnight).
  const rows = await sql.query<{ bucket: Date | string; group: string; mean: number; n: number }>(
    `SELECT date_trunc('${p.unit}', s.at, 'UTC') AS bucket, ${group} AS "group",
            (sum(s.ssum) / sum(s.sn))::float8 AS mean, sum(s.sn)::int AS n
       FROM ${await inboundRows(sql, [p.from, p.to], params)} s
       JOIN "CommunicationRecord" r ON r.id = s."recordId"
       LEFT JOIN "Company" co ON co.id = r."companyId"
       LEFT JOIN "TeamChannel" tc ON tc."companyId" = r."companyId"
      WHERE s.sn > 0 ${scope}
      GROUP BY 1, 2 ORDER BY 1, 2`,
    params,
  );
  return rows.map((r) => ({ bucket: asDate(r.bucket)!, group: r.group ?? 'none', mean: Number(r.mean), n: r.n }));
}

/**
 * The customers whose cards go to `target` (platform:channelRef): those whose team channel it is,
 * or, for a channel that is nobody's team channel (the default channel), those without a team
 * channel. `undefined` means every customer (no team channels exist).
 */
export async function companiesServedBy(sql: SqlRunner, target: string): Promise<string[] | undefined> {
  const served = await sql.query<{ id: string }>(
    `SELECT "companyId" AS id FROM "TeamChannel" WHERE platform::text || ':' || "channelRef" = $1`,
    [target],
  );
  if (served.length > 0) return served.map((r) => r.id);
  const [{ any }] = await sql.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM "TeamChannel") AS any`);
  if (!any) return undefined;
  const rows = await sql.query<{ id: string }>(
    `SELECT c.id FROM "Company" c WHERE NOT EXISTS (SELECT 1 FROM "TeamChannel" t WHERE t."companyId" = c.id)`,
  );
  return rows.map((r) => r.id);
}

/**
 * The InsightSnapshot row an erasure changes (a new random value each time, see forgetInsightSnapshots):
 * what is computed from the messages (stored snapshots, each process's topics cache, a retrained
 * classifier model) is served or stored only while it still holds the value read before computing, so
 * nothing computed before an erasure is served or stored after it, in any process.
 */
const ERASURE_MARK_KEY = 'erasure:mark';
/**
 * The InsightSnapshot row a change of the classifier's training data changes (a new random value each
 * time): an erasure (with the erasure mark) and a message deleted on its platform whose words a
 * correction's training text held (alone: the insights are computed from the messages, which the delete
 * already changed, and keep their caches). Only the model store's save checks it
 * (PrismaModelStore.save `unlessTrainingChangedSince`): a model trained before it changed is not stored.
 */
const TRAINING_MARK_KEY = 'training:mark';
/** Snapshot rows an erasure keeps: the rollups' coverage (dates only) and the marks. */
const KEPT_ON_ERASURE = ['rollups:until', ERASURE_MARK_KEY, TRAINING_MARK_KEY];

/** The current erasure mark ('' before the first erasure). */
export async function erasureMark(sql: SqlRunner): Promise<string> {
  const [row] = await sql.query<{ mark: string | null }>(
    `SELECT body->>'erasure' AS mark FROM "InsightSnapshot" WHERE key = $1`,
    [ERASURE_MARK_KEY],
  );
  return row?.mark ?? '';
}

/**
 * Changes the erasure mark and the training mark (new random values), their rows locked until the
 * transaction ends: nothing computed from the messages before (stored insights, a retrained model) is
 * stored after.
 */
export async function changeErasureMark(client: DbClient): Promise<void> {
  await changeMark(client, ERASURE_MARK_KEY, 'erasure');
  await changeTrainingMark(client);
}

/** Writes a new random value to mark row `key` (as `{ field: value }`), its row locked until the transaction ends. */
async function changeMark(client: DbClient, key: string, field: 'erasure' | 'training'): Promise<void> {
  await client.$executeRawUnsafe(
    `INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ($1, jsonb_build_object($2::text, $3::text), now())
     ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, "computedAt" = EXCLUDED."computedAt"`,
    key,
    field,
    randomUUID(),
  );
}

/** The current training mark ('' before the first change). */
export async function trainingMark(sql: SqlRunner): Promise<string> {
  const [row] = await sql.query<{ mark: string | null }>(
    `SELECT body->>'training' AS mark FROM "InsightSnapshot" WHERE key = $1`,
    [TRAINING_MARK_KEY],
  );
  return row?.mark ?? '';
}

/**
 * In the transaction that stores a retrained model: the current training mark, its row held (FOR
 * SHARE) until the transaction ends, so a change of the training data either commits before this
 * reads (the caller sees a new mark and stores nothing) or waits until the model is committed (and
 * withdraws it; see withdrawModelsTrainedSince).
 */
export async function lockTrainingMark(client: DbClient): Promise<string> {
  await client.$executeRawUnsafe(
    `INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ($1, '{"training": ""}'::jsonb, now())
     ON CONFLICT (key) DO NOTHING`,
    TRAINING_MARK_KEY,
  );
  const [row] = await client.$queryRawUnsafe<{ mark: string | null }[]>(
    `SELECT body->>'training' AS mark FROM "InsightSnapshot" WHERE key = $1 FOR SHARE`,
    TRAINING_MARK_KEY,
  );
  return row?.mark ?? '';
}

/**
 * Changes the training mark alone (a new random value), its row locked until the transaction ends: a
 * model trained before is not stored after. For a change of the training data smaller than an erasure
 * (a deleted or edited message's words leaving a correction's text, see forgetTakenBackWords), which
 * leaves the insights' caches and refreshes alone.
 */
export async function changeTrainingMark(client: DbClient): Promise<void> {
  await changeMark(client, TRAINING_MARK_KEY, 'training');
}

/**
 * In an erasure's transaction: changes the erasure mark, then deletes every stored snapshot (they name
 * customers, health reasons and example messages); the next read computes. The mark is written
 * first: its row lock orders the erasure with a refresh saving its snapshots
 * (saveInsightSnapshotsUnlessErased), which then saves nothing it computed before the erasure.
 * Returns how many snapshots were deleted.
 */
export async function forgetInsightSnapshots(client: DbClient): Promise<number> {
  await changeErasureMark(client);
  return client.$executeRawUnsafe(`DELETE FROM "InsightSnapshot" WHERE NOT (key = ANY($1::text[]))`, KEPT_ON_ERASURE);
}

/**
 * Stores these computed insights in one transaction, only when no erasure committed since `mark` was
 * read (before computing them); returns false (nothing stored) otherwise. Holds the mark's row (FOR
 * SHARE) while writing, so an erasure running now either waits for this and deletes what it wrote,
 * or commits first and this stores nothing.
 */
export async function saveInsightSnapshotsUnlessErased(
  db: Pick<Database, 'withSession'>,
  mark: string,
  snapshots: Array<{ key: string; body: unknown }>,
  computedAt: Date,
): Promise<boolean> {
  return db.withSession(async (s) => {
    await s.exec('BEGIN');
    try {
      await s.query(
        `INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ($1, '{"erasure": ""}'::jsonb, now())
         ON CONFLICT (key) DO NOTHING`,
        [ERASURE_MARK_KEY],
      );
      const [row] = await s.query<{ mark: string | null }>(
        `SELECT body->>'erasure' AS mark FROM "InsightSnapshot" WHERE key = $1 FOR SHARE`,
        [ERASURE_MARK_KEY],
      );
      const same = (row?.mark ?? '') === mark;
      if (same) for (const { key, body } of snapshots) await saveInsightSnapshot(s, key, body, computedAt);
      await s.exec('COMMIT');
      return same;
    } catch (err) {
      await s.exec('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

/** Stores (or replaces) a computed insight under `key`. */
export async function saveInsightSnapshot(sql: SqlRunner, key: string, body: unknown, computedAt: Date): Promise<void> {
  await sql.query(
    `INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, "computedAt" = EXCLUDED."computedAt"`,
    [key, JSON.stringify(body), computedAt],
  );
}

/** A stored insight and when it was computed, or undefined. */
export async function loadInsightSnapshot<T>(
  sql: SqlRunner,
  key: string,
): Promise<{ body: T; computedAt: Date } | undefined> {
  const [row] = await sql.query<{ body: T | string; computedAt: Date | string }>(
    `SELECT body, "computedAt" FROM "InsightSnapshot" WHERE key = $1`,
    [key],
  );
  if (!row) return undefined;
  return {
    body: typeof row.body === 'string' ? (JSON.parse(row.body) as T) : row.body,
    computedAt: asDate(row.computedAt)!,
  };
}
