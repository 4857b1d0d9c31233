import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import type { ChannelKind, CommunicationRecord, Direction, FollowUp, Message } from './generated/client.ts';

/**
 * The one insert path for "a record and its messages": a rep's logged note (console, Slack, Teams
 * commands), an auto-logged chat message, a batch of emails from an IMAP sync. Each call is one
 * statement (multi-row: the records, the record updates and the messages of a whole batch), so one
 * round trip and atomic without BEGIN/COMMIT; the callers differ only in what happens when the
 * record or the message exists already, and in the follow-up and audit entry that may hang off one.
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
      /** An email thread's subject as the subject fallback compares it. Default null (chat, logged notes). */
      subjectKey?: string | null;
      sourceKey: string;
      repId?: string | null;
      threadingNote?: string | null;
    }
  | {
      /**
       * A record found before (email threading), or started by an earlier input of the same
       * {@link insertRecordMessages} call: its company is filled in when it had none, its dates
       * widened to the message, and `note` appended to its threading note (the newest
       * MAX_THREADING_NOTE_CHARS kept). Returns undefined when the record is gone.
       */
      kind: 'existing';
      id: string;
      companyId: string | null;
      note: string | null;
      /**
       * Renames the record (its `sourceKey`): an email whose replies were logged before it, while its
       * own parent is still missing, names the record after its thread root so that the parent finds
       * it. Default: the name stays.
       */
      rename?: string;
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

/**
 * One record a call writes or updates, with every input that goes into it folded in (in input
 * order): a statement can write a row only once, so a batch's second message to a record becomes
 * part of the record's one insert or update.
 */
type RecordGroup =
  | {
      kind: 'new';
      ifExists: 'skip' | 'append';
      id: string;
      companyId: string | null;
      channelKind: ChannelKind;
      subject: string | null;
      subjectKey: string | null;
      sourceKey: string;
      loggedByRepId: string | null;
      threadingNote: string | null;
      startedAt: Date;
      lastMessageAt: Date;
    }
  | {
      kind: 'existing';
      id: string;
      companyId: string | null;
      note: string | null;
      startedAt: Date;
      lastMessageAt: Date;
      rename: string | null;
    };

/** The key a record row comes back under: its source key when inserted, its id when updated. */
const refOf = (g: RecordGroup) => (g.kind === 'new' ? `k:${g.sourceKey}` : `i:${g.id}`);

const earlier = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);
const later = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);
const joinNotes = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : `${a}\n${b}`);

/**
 * Folds the inputs into record groups, as their statements would have applied one after another:
 * `groupOf[i]` is input i's group, or -1 when the input writes nothing (a `'skip'` record started by
 * an earlier input of the call).
 */
function groupInputs(inputs: RecordMessageInput[]): { groups: RecordGroup[]; groupOf: number[] } {
  const groups: RecordGroup[] = [];
  const byKey = new Map<string, number>();
  const byId = new Map<string, number>();
  const groupOf = inputs.map(({ record: r, message: m }) => {
    if (r.kind === 'new') {
      const at = byKey.get(r.sourceKey);
      if (at !== undefined) {
        const g = groups[at];
        if (r.ifExists === 'skip' || g.kind !== 'new') return -1;
        // A second chat message to a thread the call started: the record's insert moves on to it.
        g.lastMessageAt = later(g.lastMessageAt, m.sentAt);
        g.loggedByRepId ??= r.repId ?? null;
        return at;
      }
      const id = r.id ?? randomUUID();
      groups.push({
        kind: 'new',
        ifExists: r.ifExists,
        id,
        companyId: r.companyId,
        channelKind: r.channelKind,
        subject: r.subject,
        subjectKey: r.subjectKey ?? null,
        sourceKey: r.sourceKey,
        loggedByRepId: r.repId ?? null,
        threadingNote: r.threadingNote ?? null,
        startedAt: m.sentAt,
        lastMessageAt: m.sentAt,
      });
      byKey.set(r.sourceKey, groups.length - 1);
      byId.set(id, groups.length - 1);
      return groups.length - 1;
    }
    const at = byId.get(r.id);
    if (at === undefined) {
      groups.push({
        kind: 'existing',
        id: r.id,
        companyId: r.companyId,
        note: r.note,
        startedAt: m.sentAt,
        lastMessageAt: m.sentAt,
        rename: r.rename ?? null,
      });
      byId.set(r.id, groups.length - 1);
      return groups.length - 1;
    }
    const g = groups[at];
    g.companyId ??= r.companyId;
    g.startedAt = earlier(g.startedAt, m.sentAt);
    g.lastMessageAt = later(g.lastMessageAt, m.sentAt);
    if (g.kind === 'new') {
      g.threadingNote = r.note === null ? g.threadingNote : joinNotes(g.threadingNote, r.note);
      if (r.rename !== undefined) {
        byKey.delete(g.sourceKey);
        g.sourceKey = r.rename;
        byKey.set(r.rename, at);
      }
    } else {
      g.note = joinNotes(g.note, r.note);
      if (r.rename !== undefined) g.rename = r.rename;
    }
    return at;
  });
  return { groups, groupOf };
}

const RECORD_COLUMNS = `id, "companyId", "channelKind", subject, "subjectKey", "sourceKey", "loggedByRepId", "threadingNote", "startedAt", "lastMessageAt", "createdAt", "updatedAt"`;
const MESSAGE_COLUMNS = `id, "recordId", "externalId", direction, "contactId", "authorName", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt"`;

/** Inserted records, one CTE per `ifExists`; rows come in as one JSON array (one parameter whatever the batch size). */
function newRecordsPart(p: Params, groups: RecordGroup[], ifExists: 'skip' | 'append', now: string, rows: boolean) {
  const json = p.add(
    JSON.stringify(
      groups.map((g) => {
        if (g.kind !== 'new') throw new Error('not a new record');
        const { kind: _k, ifExists: _i, ...row } = g;
        return row;
      }),
    ),
    'json',
  );
  const returning = `${rows ? '"CommunicationRecord".*' : 'id, "companyId", "loggedByRepId"'}, 'k:' || "sourceKey" AS ref`;
  // A chat thread's retries and edits arrive out of order: lastMessageAt only moves forward. xmax = 0
  // tells a freshly inserted record from an updated one.
  const conflict =
    ifExists === 'skip'
      ? `ON CONFLICT ("sourceKey") DO NOTHING
  RETURNING ${returning}, true AS "newRecord"`
      : `ON CONFLICT ("sourceKey") DO UPDATE SET
    "lastMessageAt" = GREATEST("CommunicationRecord"."lastMessageAt", EXCLUDED."lastMessageAt"),
    "loggedByRepId" = COALESCE("CommunicationRecord"."loggedByRepId", EXCLUDED."loggedByRepId"),
    "updatedAt" = EXCLUDED."updatedAt"
  RETURNING ${returning}, (xmax = 0) AS "newRecord"`;
  return `INSERT INTO "CommunicationRecord" (${RECORD_COLUMNS})
  SELECT x.id, x."companyId", x."channelKind", x.subject, x."subjectKey", x."sourceKey", x."loggedByRepId", x."threadingNote", x."startedAt", x."lastMessageAt", ${now}, ${now}
  FROM json_to_recordset(${json}) AS x(id uuid, "companyId" uuid, "channelKind" "ChannelKind", subject text, "subjectKey" text, "sourceKey" text, "loggedByRepId" uuid, "threadingNote" text, "startedAt" timestamptz, "lastMessageAt" timestamptz)
  ${conflict}`;
}

/** Records found before: company filled in, dates widened, notes appended (the newest kept), renamed. */
function existingRecordsPart(p: Params, groups: RecordGroup[], now: string, rows: boolean) {
  const json = p.add(JSON.stringify(groups.map(({ kind: _k, ...row }) => row)), 'json');
  return `UPDATE "CommunicationRecord" r SET
    "threadingNote" = CASE WHEN x.note IS NULL THEN r."threadingNote" ELSE right(COALESCE(r."threadingNote" || E'\\n', '') || x.note, ${MAX_THREADING_NOTE_CHARS}) END,
    "companyId" = COALESCE(r."companyId", x."companyId"),
    "startedAt" = LEAST(r."startedAt", x."startedAt"),
    "lastMessageAt" = GREATEST(r."lastMessageAt", x."lastMessageAt"),
    "updatedAt" = ${now},
    "sourceKey" = COALESCE(x.rename, r."sourceKey")
  FROM json_to_recordset(${json}) AS x(id uuid, "companyId" uuid, note text, "startedAt" timestamptz, "lastMessageAt" timestamptz, rename text)
  WHERE r.id = x.id
  RETURNING ${rows ? 'r.*' : 'r.id, r."companyId", r."loggedByRepId"'}, 'i:' || r.id::text AS ref, false AS "newRecord"`;
}

/** The messages, each joined to its record's row by `ref`: a record not written takes no message. */
function messagesPart(
  p: Params,
  messages: Array<MessageRow & { id: string; ref: string }>,
  onConflict: boolean,
  now: string,
  rows: boolean,
) {
  const json = p.add(
    JSON.stringify(
      messages.map((m) => ({
        id: m.id,
        ref: m.ref,
        externalId: m.externalId,
        direction: m.direction,
        contactId: m.contactId,
        authorName: m.authorName,
        authorEmail: m.authorEmail,
        text: m.text,
        cleanText: m.cleanText,
        sentAt: m.sentAt,
        metadata: m.metadata,
      })),
    ),
    'json',
  );
  return `INSERT INTO "Message" (${MESSAGE_COLUMNS})
  SELECT x.id, rec.id, x."externalId", x.direction, x."contactId", x."authorName", x."authorEmail", x.text, x."cleanText", x."sentAt", x.metadata, ${now}, ${now}
  FROM json_to_recordset(${json}) AS x(id uuid, ref text, "externalId" text, direction "Direction", "contactId" uuid, "authorName" text, "authorEmail" text, text text, "cleanText" text, "sentAt" timestamptz, metadata jsonb)
  JOIN rec ON rec.ref = x.ref
  ${onConflict ? 'ON CONFLICT ("externalId") DO NOTHING' : ''}
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

/**
 * The statement for a call; its text depends only on which parts are present, so its plan is cached
 * per shape. A follow-up and an audit entry hang off a call of one input (`FROM rec`: its one record).
 */
function buildStatement(
  inputs: RecordMessageInput[],
  plan: { groups: RecordGroup[]; messages: Array<MessageRow & { id: string; ref: string }>; followUpId: string },
  now: Date,
  rows: boolean,
) {
  const p = new Params();
  const at = p.add(now, 'timestamptz');
  const recordCtes: string[] = [];
  const parts: string[] = [];
  for (const ifExists of ['skip', 'append'] as const) {
    const gs = plan.groups.filter((g) => g.kind === 'new' && g.ifExists === ifExists);
    if (gs.length === 0) continue;
    parts.push(`rec_${ifExists} AS (\n  ${newRecordsPart(p, gs, ifExists, at, rows)}\n)`);
    recordCtes.push(`rec_${ifExists}`);
  }
  const existing = plan.groups.filter((g) => g.kind === 'existing');
  if (existing.length > 0) {
    parts.push(`rec_existing AS (\n  ${existingRecordsPart(p, existing, at, rows)}\n)`);
    recordCtes.push('rec_existing');
  }
  parts.push(`rec AS (\n  ${recordCtes.map((c) => `SELECT * FROM ${c}`).join('\n  UNION ALL ')}\n)`);
  const ifExists = new Set(plan.messages.map((m) => m.ifExists));
  if (ifExists.size > 1) throw new Error('one call takes messages of one ifExists');
  parts.push(`msg AS (\n  ${messagesPart(p, plan.messages, !ifExists.has('fail'), at, rows)}\n)`);
  const [one] = inputs;
  const single = inputs.length === 1;
  if (single && one.followUp)
    parts.push(`fu AS (\n  ${followUpPart(p, one.followUp, p.add(plan.followUpId, 'uuid'), at)}\n)`);
  if (single && one.audit) parts.push(`audit AS (\n  ${auditPart(p, one.audit, at)}\n)`);
  const columns = [
    `(SELECT COALESCE(json_agg(json_build_object('ref', ref, 'id', id::text, 'newRecord', "newRecord")), '[]'::json) FROM rec) AS records`,
    `(SELECT COALESCE(json_agg(id::text), '[]'::json) FROM msg) AS messages`,
    single && one.followUp ? '(SELECT id::text FROM fu) AS "followUpId"' : 'NULL::text AS "followUpId"',
  ];
  // The statement's snapshot may predate a concurrent insert of the same message: read back after when null.
  if (single && one.message.ifExists === 'read')
    columns.push(
      `(SELECT m.id::text FROM "Message" m WHERE m."externalId" = ${p.add(one.message.externalId, 'text')}) AS "existingMessageId"`,
    );
  if (rows)
    columns.push(
      `(SELECT row_to_json(rec.*) FROM rec LIMIT 1) AS "recordRow", (SELECT row_to_json(msg.*) FROM msg) AS "messageRow", ${single && one.followUp ? '(SELECT row_to_json(fu.*) FROM fu)' : 'NULL::json'} AS "followUpRow"`,
    );
  return { text: `WITH ${parts.join(',\n')}\nSELECT ${columns.join(', ')}`, values: p.values };
}

interface ResultRow {
  records: Array<{ ref: string; id: string; newRecord: boolean }>;
  messages: string[];
  followUpId: string | null;
  existingMessageId?: string | null;
  recordRow?: Record<string, unknown> | null;
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
  delete out.ref;
  for (const k of keys) if (typeof out[k] === 'string') out[k] = new Date(out[k] as string);
  return out as T;
}

/** Runs the call's one statement; per input, what was written (undefined: no record took its message). */
async function run(
  sql: SqlRunner,
  inputs: RecordMessageInput[],
  now: Date,
  rows: boolean,
): Promise<{ results: Array<InsertedRecordMessage | undefined>; row: ResultRow }> {
  const { groups, groupOf } = groupInputs(inputs);
  const idOf = inputs.map((input) => input.message.id ?? randomUUID());
  const messages = inputs.flatMap((input, i) =>
    groupOf[i] < 0 ? [] : [{ ...input.message, id: idOf[i], ref: refOf(groups[groupOf[i]]) }],
  );
  const followUpId = inputs[0]?.followUp?.id ?? randomUUID();
  const statement = buildStatement(inputs, { groups, messages, followUpId }, now, rows);
  const [r] = await sql.query<ResultRow>(statement.text, statement.values, { planPerCall: inputs.length > 1 });
  const records = new Map(r.records.map((x) => [x.ref, x]));
  const written = new Set(r.messages);
  const firstOf = new Set<number>();
  const results = inputs.map((input, i): InsertedRecordMessage | undefined => {
    if (groupOf[i] < 0) return undefined;
    const rec = records.get(refOf(groups[groupOf[i]]));
    if (!rec) return undefined;
    const first = !firstOf.has(groupOf[i]);
    firstOf.add(groupOf[i]);
    const created = written.has(idOf[i]);
    return {
      recordId: rec.id,
      newRecord: first && rec.newRecord === true,
      created,
      messageId: created ? idOf[i] : null,
      followUpId: i === 0 && input.followUp && inputs.length === 1 ? r.followUpId : null,
    };
  });
  return { results, row: r };
}

/**
 * Inserts the records and messages of a batch (an IMAP sync's fetched emails) in one statement, as
 * {@link insertRecordMessage} would one after another: an input may go to a record an earlier input
 * of the call started (`kind: 'existing'` with that record's id), and several inputs may go to one
 * record. No follow-ups or audit entries; all messages take the same `ifExists` ('fail' or 'skip').
 * @returns per input, in order: what was written, or undefined when no record took its message.
 * @throws the driver's unique violation (23505) for a renamed record whose new name is taken, and
 *   its foreign-key violation (23503) when a company or contact no longer exists.
 */
export async function insertRecordMessages(
  sql: SqlRunner,
  inputs: Array<Pick<RecordMessageInput, 'record' | 'message'>>,
  now = new Date(),
): Promise<Array<InsertedRecordMessage | undefined>> {
  if (inputs.length === 0) return [];
  if (inputs.some((i) => i.message.ifExists === 'read'))
    throw new Error("insertRecordMessages takes messages with ifExists 'fail' or 'skip'");
  return (await run(sql, inputs, now, false)).results;
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
  const rows = input.returnRows === true;
  const { results, row: r } = await run(sql, [input], now, rows);
  const ids = results[0];
  if (!ids) return undefined;
  if (ids.messageId === null && input.message.ifExists === 'read') {
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
  if (!rows) return ids;
  const { recordRow, messageRow, followUpRow } = r;
  if (!recordRow || !messageRow) return undefined;
  return {
    ...ids,
    record: withDates<CommunicationRecord>(recordRow, RECORD_DATES),
    message: withDates<Message>(messageRow, MESSAGE_DATES),
    followUp: followUpRow ? withDates<FollowUp>(followUpRow, FOLLOW_UP_DATES) : undefined,
  };
}
