import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import type { ChannelKind, CommunicationRecord, Direction, FollowUp, Message } from './generated/client.ts';

/**
 * The one insert path for "a record and its message": a rep's logged note (console, Slack, Teams
 * commands), an auto-logged chat message, an email. Each call is one statement, so one round trip
 * and atomic without BEGIN/COMMIT; the three callers differ only in what happens when the record or
 * the message exists already, and in the follow-up and audit entry that may hang off them.
 */

/** Longest `threadingNote` kept on a record (newest notes win). */
export const MAX_THREADING_NOTE_CHARS = 2000;

/** The conversation the message goes into. */
export type RecordTarget =
  | {
      /**
       * A record keyed by `sourceKey`, inserted unless the key exists. `ifExists: 'skip'` then writes
       * nothing at all and returns undefined (a logged note's idempotency key, an email thread a
       * concurrent writer started); `'append'` adds the message to it (a chat thread), moving its
       * `lastMessageAt` forward only and naming `repId` as its rep when it has none.
       */
      kind: 'new';
      ifExists: 'skip' | 'append';
      /** Default: a new UUID. */
      id?: string;
      companyId: string | null;
      channelKind: ChannelKind;
      subject: string | null;
      sourceKey: string;
      repId?: string | null;
      threadingNote?: string | null;
    }
  | {
      /**
       * A record found before (email threading): its company is filled in when it had none, its dates
       * widened to the message, and `note` appended to its threading note (the newest
       * MAX_THREADING_NOTE_CHARS kept). Returns undefined when the record is gone.
       */
      kind: 'existing';
      id: string;
      companyId: string | null;
      note: string | null;
    };

/** The message, and what to do when its `externalId` is stored already. */
export interface MessageRow {
  /**
   * `fail`: the driver's unique violation (23505) is thrown and nothing is written (a logged note:
   * the caller looks up who logged it). `skip`: nothing is written and `messageId` is null (email:
   * the caller reads again). `read`: the record is still upserted, `created` is false and
   * `messageId` names the stored message (chat: Events API retries).
   */
  ifExists: 'fail' | 'skip' | 'read';
  /** Default: a new UUID. */
  id?: string;
  externalId: string;
  direction: Direction;
  contactId: string | null;
  authorName: string | null;
  authorEmail: string | null;
  text: string;
  cleanText: string;
  sentAt: Date;
  metadata: Record<string, unknown>;
}

/** What {@link insertRecordMessage} writes. */
export interface RecordMessageInput {
  record: RecordTarget;
  message: MessageRow;
  /**
   * A follow-up of a new record (a `log ... remind` command), assigned to the record's rep, reminded
   * in the customer's team channel (as reminderTargetFor() picks it), else `fallbackRemindTarget`.
   */
  followUp?: { id?: string; title: string; dueAt: Date; fallbackRemindTarget: string | null };
  /** The audit entry, written with the message (subject: the record id). Default: none (email logs every message in its sync log). */
  audit?: { action: string; actor: string | null; platform: string | null; details: Record<string, unknown> };
  /** Also return the rows written, as Prisma would ({@link RecordMessageRows}). Default false: ids only. */
  returnRows?: boolean;
}

export interface InsertedRecordMessage {
  recordId: string;
  /** True when this message started the record. */
  newRecord: boolean;
  /** False when the message was stored before: nothing was written. */
  created: boolean;
  /** The message's id: the new one, the stored one (`ifExists: 'read'`), or null (`'skip'`, not created). */
  messageId: string | null;
  /** The follow-up's id when one was asked for and written. */
  followUpId: string | null;
}

/** The rows written, as Prisma would return them (for callers that hand them on, e.g. `log`). */
export interface RecordMessageRows {
  record: CommunicationRecord;
  message: Message;
  followUp?: FollowUp;
}

/** Builds `$n::type` placeholders in order, so each statement part names its own parameters. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

const RECORD_COLUMNS = `id, "companyId", "channelKind", subject, "sourceKey", "loggedByRepId", "threadingNote", "startedAt", "lastMessageAt", "createdAt", "updatedAt"`;
const MESSAGE_COLUMNS = `id, "recordId", "externalId", direction, "contactId", "authorName", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt"`;

function recordPart(p: Params, r: RecordTarget, sentAt: string, now: string, rows: boolean): string {
  const returning = rows ? 'RETURNING *' : 'RETURNING id';
  if (r.kind === 'existing') {
    const note = p.add(r.note, 'text');
    return `UPDATE "CommunicationRecord" SET
    "threadingNote" = CASE WHEN ${note} IS NULL THEN "threadingNote" ELSE right(COALESCE("threadingNote" || E'\\n', '') || ${note}, ${MAX_THREADING_NOTE_CHARS}) END,
    "companyId" = COALESCE("companyId", ${p.add(r.companyId, 'uuid')}),
    "startedAt" = LEAST("startedAt", ${sentAt}),
    "lastMessageAt" = GREATEST("lastMessageAt", ${sentAt}),
    "updatedAt" = ${now}
  WHERE id = ${p.add(r.id, 'uuid')}
  ${returning}, false AS "newRecord"`;
  }
  const values = [
    p.add(r.id ?? randomUUID(), 'uuid'),
    p.add(r.companyId, 'uuid'),
    p.add(r.channelKind, '"ChannelKind"'),
    p.add(r.subject, 'text'),
    p.add(r.sourceKey, 'text'),
    p.add(r.repId ?? null, 'uuid'),
    p.add(r.threadingNote ?? null, 'text'),
    sentAt,
    sentAt,
    now,
    now,
  ].join(', ');
  // A chat thread's retries and edits arrive out of order: lastMessageAt only moves forward. xmax = 0
  // tells a freshly inserted record from an updated one.
  const conflict =
    r.ifExists === 'skip'
      ? `ON CONFLICT ("sourceKey") DO NOTHING
  ${returning}, true AS "newRecord"`
      : `ON CONFLICT ("sourceKey") DO UPDATE SET
    "lastMessageAt" = GREATEST("CommunicationRecord"."lastMessageAt", EXCLUDED."lastMessageAt"),
    "loggedByRepId" = COALESCE("CommunicationRecord"."loggedByRepId", EXCLUDED."loggedByRepId"),
    "updatedAt" = EXCLUDED."updatedAt"
  ${returning}, (xmax = 0) AS "newRecord"`;
  return `INSERT INTO "CommunicationRecord" (${RECORD_COLUMNS})
  VALUES (${values})
  ${conflict}`;
}

function messagePart(p: Params, m: MessageRow, messageId: string, sentAt: string, now: string, rows: boolean): string {
  return `INSERT INTO "Message" (${MESSAGE_COLUMNS})
  SELECT ${messageId}, rec.id, ${p.add(m.externalId, 'text')}, ${p.add(m.direction, '"Direction"')}, ${p.add(m.contactId, 'uuid')},
    ${p.add(m.authorName, 'text')}, ${p.add(m.authorEmail, 'text')}, ${p.add(m.text, 'text')}, ${p.add(m.cleanText, 'text')},
    ${sentAt}, ${p.add(JSON.stringify(m.metadata), 'jsonb')}, ${now}, ${now} FROM rec
  ${m.ifExists === 'fail' ? '' : 'ON CONFLICT ("externalId") DO NOTHING'}
  ${rows ? 'RETURNING *' : 'RETURNING id'}`;
}

// The follow-up's target is the customer's team channel, as reminderTargetFor() picks it.
function followUpPart(p: Params, f: NonNullable<RecordMessageInput['followUp']>, id: string, now: string): string {
  return `INSERT INTO "FollowUp" (id, "companyId", "recordId", title, "dueAt", "assigneeRepId", status, source, "remindTarget", "createdAt", "updatedAt")
  SELECT ${id}, rec."companyId", rec.id, ${p.add(f.title, 'text')}, ${p.add(f.dueAt, 'timestamptz')}, rec."loggedByRepId", 'open'::"FollowUpStatus", 'manual'::"FollowUpSource",
    COALESCE((SELECT t.platform::text || ':' || t."channelRef" FROM "TeamChannel" t WHERE t."companyId" = rec."companyId"), ${p.add(f.fallbackRemindTarget, 'text')}),
    ${now}, ${now}
  FROM rec
  RETURNING *`;
}

// Written only with a new message: a retry that wrote nothing leaves no audit entry.
function auditPart(p: Params, a: NonNullable<RecordMessageInput['audit']>, now: string): string {
  return `INSERT INTO "AuditLog" (id, action, actor, platform, subject, details, "createdAt")
  SELECT ${p.add(randomUUID(), 'uuid')}, ${p.add(a.action, 'text')}, ${p.add(a.actor, 'text')}, ${p.add(a.platform, 'text')}, rec.id::text,
    ${p.add(JSON.stringify(a.details), 'jsonb')}, ${now}
  FROM rec, msg`;
}

/** The statement for one input; its text depends only on which parts are asked for, so its plan is cached per shape. */
function buildStatement(
  input: RecordMessageInput,
  ids: { message: string; followUp: string },
  now: Date,
  rows: boolean,
) {
  const p = new Params();
  const sentAt = p.add(input.message.sentAt, 'timestamptz');
  const at = p.add(now, 'timestamptz');
  const messageId = p.add(ids.message, 'uuid');
  const parts = [
    `rec AS (\n  ${recordPart(p, input.record, sentAt, at, rows)}\n)`,
    `msg AS (\n  ${messagePart(p, input.message, messageId, sentAt, at, rows)}\n)`,
  ];
  if (input.followUp) parts.push(`fu AS (\n  ${followUpPart(p, input.followUp, p.add(ids.followUp, 'uuid'), at)}\n)`);
  if (input.audit) parts.push(`audit AS (\n  ${auditPart(p, input.audit, at)}\n)`);
  const columns = [
    'rec.id::text AS "recordId"',
    'rec."newRecord"',
    '(SELECT id::text FROM msg) AS "messageId"',
    input.followUp ? '(SELECT id::text FROM fu) AS "followUpId"' : 'NULL::text AS "followUpId"',
  ];
  // The statement's snapshot may predate a concurrent insert of the same message: read back after when null.
  if (input.message.ifExists === 'read')
    columns.push(
      `(SELECT m.id::text FROM "Message" m WHERE m."externalId" = ${p.add(input.message.externalId, 'text')}) AS "existingMessageId"`,
    );
  if (rows)
    columns.push(
      `row_to_json(rec.*) AS "recordRow", (SELECT row_to_json(msg.*) FROM msg) AS "messageRow", ${input.followUp ? '(SELECT row_to_json(fu.*) FROM fu)' : 'NULL::json'} AS "followUpRow"`,
    );
  return { text: `WITH ${parts.join(', ')}\nSELECT ${columns.join(', ')} FROM rec`, values: p.values };
}

interface ResultRow {
  recordId: string;
  newRecord: boolean;
  messageId: string | null;
  followUpId: string | null;
  existingMessageId?: string | null;
  recordRow?: Record<string, unknown>;
  messageRow?: Record<string, unknown> | null;
  followUpRow?: Record<string, unknown> | null;
}

const RECORD_DATES = ['startedAt', 'lastMessageAt', 'createdAt', 'updatedAt'] as const;
const MESSAGE_DATES = ['sentAt', 'createdAt', 'updatedAt'] as const;
const FOLLOW_UP_DATES = ['dueAt', 'escalatedAt', 'completedAt', 'createdAt', 'updatedAt'] as const;

/** row_to_json gives timestamps as strings; the rows callers get are the ones Prisma would return. */
function withDates<T>(row: Record<string, unknown>, keys: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  delete out.newRecord;
  for (const k of keys) if (typeof out[k] === 'string') out[k] = new Date(out[k] as string);
  return out as T;
}

async function run(
  sql: SqlRunner,
  input: RecordMessageInput,
  now: Date,
  rows: boolean,
): Promise<{ ids: InsertedRecordMessage; row: ResultRow } | undefined> {
  const statement = buildStatement(
    input,
    { message: input.message.id ?? randomUUID(), followUp: input.followUp?.id ?? randomUUID() },
    now,
    rows,
  );
  const [r] = await sql.query<ResultRow>(statement.text, statement.values);
  if (!r) return undefined;
  const ids = {
    recordId: r.recordId,
    newRecord: r.newRecord === true,
    created: r.messageId !== null,
    messageId: r.messageId,
    followUpId: r.followUpId,
  };
  if (r.messageId === null && input.message.ifExists === 'read') {
    ids.newRecord = false;
    ids.messageId =
      r.existingMessageId ??
      (
        await sql.query<{ id: string }>(`SELECT id::text AS id FROM "Message" WHERE "externalId" = $1`, [
          input.message.externalId,
        ])
      )[0]?.id ??
      null;
    if (!ids.messageId) throw new Error(`message ${input.message.externalId} conflicted but cannot be read back`);
  }
  return { ids, row: r };
}

/**
 * Inserts a record and its message (see {@link RecordTarget} and {@link MessageRow} for what happens
 * when either exists), with an optional follow-up and audit entry, in one statement. With
 * `returnRows: true` the rows written come back too (still one statement).
 * @returns undefined when no record was there to take the message (`'skip'` on an existing source
 *   key, or an `existing` record that is gone): nothing was written.
 * @throws the driver's unique violation (23505) for a message that exists with `ifExists: 'fail'`,
 *   and its foreign-key violation (23503) when the company no longer exists.
 */
export async function insertRecordMessage(
  sql: SqlRunner,
  input: RecordMessageInput & { returnRows: true },
  now?: Date,
): Promise<(InsertedRecordMessage & RecordMessageRows) | undefined>;
export async function insertRecordMessage(
  sql: SqlRunner,
  input: RecordMessageInput,
  now?: Date,
): Promise<InsertedRecordMessage | undefined>;
export async function insertRecordMessage(
  sql: SqlRunner,
  input: RecordMessageInput,
  now = new Date(),
): Promise<(InsertedRecordMessage & Partial<RecordMessageRows>) | undefined> {
  const done = await run(sql, input, now, input.returnRows === true);
  if (!done) return undefined;
  const { recordRow, messageRow, followUpRow } = done.row;
  if (!input.returnRows) return done.ids;
  if (!recordRow || !messageRow) return undefined;
  return {
    ...done.ids,
    record: withDates<CommunicationRecord>(recordRow, RECORD_DATES),
    message: withDates<Message>(messageRow, MESSAGE_DATES),
    followUp: followUpRow ? withDates<FollowUp>(followUpRow, FOLLOW_UP_DATES) : undefined,
  };
}
