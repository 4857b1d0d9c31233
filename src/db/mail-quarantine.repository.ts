import { createHash, randomUUID } from 'node:crypto';
import { mailAddressIndex } from '../domain/mail-address-index.ts';
import type { Database, SqlRunner } from './database.ts';
import { fenceHolds, MailboxFencedOutError } from './mailbox-fence.repository.ts';
import type { DbClient } from './db-client.ts';

/** A quarantined message as `rapport mail retry` reads it. */
export interface QuarantinedMail {
  id: string;
  mailbox: string;
  folder: string | null;
  uid: number | null;
  raw: Buffer;
  /** The server's INTERNALDATE, when the sync kept it. */
  serverDate: Date | null;
  /** The message's size on the server, when the sync kept it (more than `raw` for a headers-only mail). */
  sizeBytes: number | null;
  attempts: number;
}

/**
 * Keeps a message that could not be stored: raw, with its headers, the error and a note, and who its
 * address headers name (see {@link mailAddressIndex}) for erase to find it by. The same raw message
 * failing again updates its row (attempts, error) instead of adding one.
 *
 * With `fence` (an IMAP syncer's mailbox lock token, see raiseMailboxFence) the same statement checks that
 * the token is still the mailbox's newest, holding the fence row until it commits as a cursor save does:
 * a syncer another process took the mailbox over from keeps nothing, even when the takeover comes between
 * its last check and this write, and throws {@link MailboxFencedOutError}.
 */
export async function quarantineMail(
  db: Database,
  mail: {
    mailbox: string;
    folder?: string;
    uid?: number;
    /** The folder's UIDVALIDITY (`uid` names the mail only within it). */
    uidValidity?: bigint;
    raw: Buffer;
    /** The server's INTERNALDATE. */
    serverDate?: Date;
    /** The message's size on the server (`raw` holds only its headers when it was over IMAP_MAX_MESSAGE_MB). */
    sizeBytes?: number;
    headers: Record<string, string>;
    error: string;
    note: string;
    /** The writing syncer's mailbox lock token; none for the tools. */
    fence?: bigint;
  },
): Promise<void> {
  // A message kept without its source (the server sent no body) is one row per mailbox, folder and UID, and
  // UIDVALIDITY: under another, that UID is another mail.
  const place = [
    mail.mailbox,
    mail.folder ?? '',
    mail.uid ?? '',
    ...(mail.uidValidity === undefined ? [] : [mail.uidValidity]),
  ];
  const sourceHash = createHash('sha256')
    .update(mail.raw.length > 0 ? mail.raw : `no source\n${place.join('\n')}`)
    .digest('hex');
  // Read here, once, from the source in hand: erase then looks them up instead of reading every mail.
  const index = mailAddressIndex(mail.raw);
  // One statement, the fence's check in it (raw SQL: Prisma's upsert cannot carry it). A row kept again keeps
  // the UIDVALIDITY, date and size it has when this write knows none.
  const rows = await db.sql.query(
    `INSERT INTO "MailQuarantine" AS q (id, "sourceHash", mailbox, folder, uid, "uidValidity", raw, "serverDate",
       "sizeBytes", headers, error, note, "headerAddresses", "headerDomains", attempts, "createdAt", "updatedAt")
     SELECT $1::uuid, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, $7::bytea, $8::timestamptz, $9::int,
       $10::jsonb, $11::text, $12::text, $13::text[], $14::text[], 1, now(), now()
     WHERE ${fenceHolds(3, 15)}
     ON CONFLICT ("sourceHash") DO UPDATE SET attempts = q.attempts + 1, error = EXCLUDED.error, note = EXCLUDED.note,
       "resolvedAt" = NULL, "uidValidity" = COALESCE(EXCLUDED."uidValidity", q."uidValidity"),
       "headerAddresses" = EXCLUDED."headerAddresses", "headerDomains" = EXCLUDED."headerDomains",
       "serverDate" = COALESCE(EXCLUDED."serverDate", q."serverDate"),
       "sizeBytes" = COALESCE(EXCLUDED."sizeBytes", q."sizeBytes"), "updatedAt" = now()
     RETURNING 1`,
    [
      randomUUID(),
      sourceHash,
      mail.mailbox,
      mail.folder ?? null,
      mail.uid === undefined ? null : String(mail.uid),
      mail.uidValidity === undefined ? null : mail.uidValidity.toString(),
      mail.raw,
      mail.serverDate ?? null,
      mail.sizeBytes ?? null,
      JSON.stringify(mail.headers),
      mail.error.slice(0, 2000),
      mail.note,
      index.addresses,
      index.domains,
      mail.fence?.toString() ?? null,
    ],
  );
  if (rows.length === 0 && mail.fence !== undefined) throw new MailboxFencedOutError(mail.mailbox, mail.fence);
}

/** A folder in one UIDVALIDITY: within it a UID names one mail for good. */
export interface QuarantineFolderKey {
  mailbox: string;
  folder: string;
  uidValidity: bigint;
}

/**
 * The UIDs of the folder's mails kept in quarantine without their source (the server sent nothing for
 * them) and not resolved yet: a pass that logs one of them after all resolves its row
 * ({@link resolveUnsourcedQuarantine}). Read through the `resolvedAt` index, so a pass with none pays one
 * small query.
 */
export async function unsourcedQuarantinedUids(sql: SqlRunner, key: QuarantineFolderKey): Promise<Set<number>> {
  // uid is BIGINT: a string from node-postgres, a bigint from PGlite.
  const rows = await sql.query<{ uid: string | bigint | number }>(
    `SELECT uid FROM "MailQuarantine"
      WHERE "resolvedAt" IS NULL AND mailbox = $1 AND folder = $2 AND "uidValidity" = $3::bigint
        AND uid IS NOT NULL AND octet_length(raw) = 0`,
    [key.mailbox, key.folder, String(key.uidValidity)],
  );
  return new Set(rows.map((r) => Number(r.uid)));
}

/**
 * Marks resolved the folder's rows of mails kept without their source whose UIDs are in `uids`: the sync
 * logged them (or found them duplicates or skipped them) after all, as mails still being delivered are.
 * Run in the transaction that writes them where there is one.
 */
export async function resolveUnsourcedQuarantine(
  sql: SqlRunner,
  key: QuarantineFolderKey,
  uids: readonly number[],
): Promise<void> {
  if (uids.length === 0) return;
  await sql.query(
    `UPDATE "MailQuarantine" SET "resolvedAt" = now(), "updatedAt" = now()
      WHERE "resolvedAt" IS NULL AND mailbox = $1 AND folder = $2 AND "uidValidity" = $3::bigint
        AND uid = ANY($4::bigint[]) AND octet_length(raw) = 0`,
    [key.mailbox, key.folder, String(key.uidValidity), uids.map(String)],
  );
}

/** Where a page of {@link pendingQuarantinedMailPage} ended: the next page starts after it. */
export interface QuarantinePageEnd {
  createdAt: Date;
  id: string;
}

/**
 * A page of the quarantined messages not resolved yet, oldest first, after `after` (by creation, then
 * id): ids only, so a page never holds raw mail, and every row is reached however many fail again.
 */
export async function pendingQuarantinedMailPage(
  db: Database,
  after: QuarantinePageEnd | undefined,
  limit = 100,
): Promise<QuarantinePageEnd[]> {
  return db.prisma.mailQuarantine.findMany({
    where: {
      resolvedAt: null,
      ...(after
        ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: limit,
    select: { id: true, createdAt: true },
  });
}

/** One quarantined message with its raw source; undefined when it was resolved or deleted meanwhile. */
export async function pendingQuarantinedMail(db: Database, id: string): Promise<QuarantinedMail | undefined> {
  const row = await db.prisma.mailQuarantine.findFirst({
    where: { id, resolvedAt: null },
    select: {
      id: true,
      mailbox: true,
      folder: true,
      uid: true,
      raw: true,
      serverDate: true,
      sizeBytes: true,
      attempts: true,
    },
  });
  return row ? { ...row, uid: row.uid === null ? null : Number(row.uid), raw: Buffer.from(row.raw) } : undefined;
}

/**
 * A retry's result for one row: resolved (logged, duplicate, skipped) or failed again with `error`. A row
 * dropped meanwhile (`rapport mail drop`) is left gone.
 */
export async function recordQuarantineRetry(
  db: Database,
  id: string,
  result: { resolved: true } | { resolved: false; error: string },
): Promise<void> {
  await db.prisma.mailQuarantine.updateMany({
    where: { id },
    data: result.resolved
      ? { resolvedAt: new Date() }
      : { attempts: { increment: 1 }, error: result.error.slice(0, 2000) },
  });
}

/** The start of one quarantined mail's raw source, enough to read its headers. */
export interface QuarantinedMailHead {
  id: string;
  head: Uint8Array;
}

/**
 * One page of quarantined mail (resolved rows too: they keep their raw source), ordered by id after
 * `afterId`, each cut to its header section (up to the first empty line, a few bytes past it) or, when
 * none ends within them, to its first `headBytes` bytes, so that a page never loads whole mails. With
 * `unread`, only the rows whose header addresses were never stored (kept before they were).
 */
export async function quarantinedMailHeads(
  client: DbClient,
  page: { afterId?: string; limit: number; headBytes: number; unread?: boolean },
): Promise<QuarantinedMailHead[]> {
  return client.$queryRawUnsafe<QuarantinedMailHead[]>(
    // Ordered by the uuid column, not the text `id` of the select list: by that, every page read and sorted
    // the heads of all the rows after it. The predicate spelt out, not a parameter: the planner then reads
    // the partial index of unread rows. The header section ends at the first \r?\n\r?\n: its start is at
    // most one byte before the first LF LF or LF CR LF, its end 3 bytes after that; cutting there spares
    // carrying the body (PGlite took 1-2 s for a page of 200 heads of 20 kB mails).
    `SELECT q.id::text AS id,
            substring(q.raw from 1 for CASE WHEN e.at > 0 THEN e.at + 3 ELSE $1::int END) AS head
       FROM "MailQuarantine" q
      CROSS JOIN LATERAL (
        SELECT least(nullif(position('\\x0a0a'::bytea in substring(q.raw from 1 for $1::int)), 0),
                     nullif(position('\\x0a0d0a'::bytea in substring(q.raw from 1 for $1::int)), 0)) AS at) e
      WHERE ($2::uuid IS NULL OR q.id > $2::uuid)${page.unread ? ' AND q."headerAddresses" IS NULL' : ''}
      ORDER BY q.id LIMIT $3::int`,
    page.headBytes,
    page.afterId ?? null,
    page.limit,
  );
}

/** A quarantined mail found by who its address headers name, with the addresses stored for it. */
export interface QuarantinedMailNaming {
  id: string;
  addresses: string[];
}

/**
 * The quarantined mails (resolved rows too) whose stored header addresses include one of `addresses`
 * or whose stored header domains (parent domains included) include one of `domains`, by their GIN
 * indexes: the cost follows the rows found, not the quarantine. Rows never read are not among them
 * (see `unread` of {@link quarantinedMailHeads}).
 */
export async function quarantinedMailNaming(
  client: DbClient,
  who: { addresses: string[]; domains: string[] },
): Promise<QuarantinedMailNaming[]> {
  if (who.addresses.length === 0 && who.domains.length === 0) return [];
  return client.$queryRawUnsafe<QuarantinedMailNaming[]>(
    `SELECT id::text AS id, "headerAddresses" AS addresses FROM "MailQuarantine"
      WHERE "headerAddresses" && $1::text[] OR "headerDomains" && $2::text[]`,
    who.addresses,
    who.domains,
  );
}

/** Stores who the address headers of quarantined mails kept before that was stored name. */
export async function storeQuarantinedMailAddresses(
  client: DbClient,
  rows: { id: string; addresses: string[]; domains: string[] }[],
): Promise<void> {
  if (rows.length === 0) return;
  // One statement per page; arrays of different lengths travel as JSON (a text[][] must be rectangular).
  await client.$executeRawUnsafe(
    `UPDATE "MailQuarantine" q
        SET "headerAddresses" = ARRAY(SELECT jsonb_array_elements_text(r.value->'addresses')),
            "headerDomains" = ARRAY(SELECT jsonb_array_elements_text(r.value->'domains'))
       FROM jsonb_array_elements($1::jsonb) r
      WHERE q.id = (r.value->>'id')::uuid`,
    JSON.stringify(rows),
  );
}

/** The whole raw source of one quarantined mail, or undefined when it is gone. */
export async function quarantinedMailSource(client: DbClient, id: string): Promise<Uint8Array | undefined> {
  const row = await client.mailQuarantine.findUnique({ where: { id }, select: { raw: true } });
  return row?.raw;
}

/** Deletes these quarantined mails; returns how many there were. */
export async function deleteQuarantinedMail(client: DbClient, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return (await client.mailQuarantine.deleteMany({ where: { id: { in: ids } } })).count;
}

/** A quarantined mail as `rapport mail quarantine` lists it: what it is and why it is there, no source. */
export interface QuarantineListing {
  id: string;
  mailbox: string;
  folder: string | null;
  uid: number | null;
  serverDate: Date | null;
  sizeBytes: number | null;
  /** Bytes of source kept (0: the server sent none; fewer than sizeBytes: its headers only). */
  keptBytes: number;
  headers: Record<string, string>;
  error: string;
  note: string;
  attempts: number;
  createdAt: Date;
  resolvedAt: Date | null;
}

/**
 * The quarantined mails, oldest first, `limit` of them, without their source, and how many there are in
 * all: those still failing, or with `resolved` those a retry logged (kept until RAPPORT_RETENTION_DAYS) too.
 */
export async function listQuarantinedMail(
  db: Database,
  opts: { resolved?: boolean; limit: number },
): Promise<{ rows: QuarantineListing[]; total: number }> {
  // uid is BIGINT (IMAP UIDs are unsigned 32-bit): a string from node-postgres, a bigint from PGlite.
  const rows = await db.sql.query<
    Omit<QuarantineListing, 'headers' | 'uid'> & {
      uid: string | bigint | number | null;
      headers: unknown;
      head: Uint8Array | null;
    }
  >(
    // A mail kept unread (it stopped the process) has no parsed headers: the start of its source stands in.
    `SELECT id::text AS id, mailbox, folder, uid, "serverDate", "sizeBytes", octet_length(raw) AS "keptBytes",
            headers, error, note, attempts, "createdAt", "resolvedAt",
            CASE WHEN headers ? 'from' OR headers ? 'subject' THEN NULL ELSE substring(raw from 1 for 65536) END AS head
       FROM "MailQuarantine" WHERE $1::boolean OR "resolvedAt" IS NULL
      ORDER BY "createdAt", id LIMIT $2::int`,
    [opts.resolved === true, opts.limit],
  );
  const [count] = await db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "MailQuarantine" WHERE $1::boolean OR "resolvedAt" IS NULL`,
    [opts.resolved === true],
  );
  return {
    rows: rows.map(({ head, ...r }) => ({
      ...r,
      uid: r.uid === null ? null : Number(r.uid),
      sizeBytes: r.sizeBytes === null ? null : Number(r.sizeBytes),
      keptBytes: Number(r.keptBytes),
      attempts: Number(r.attempts),
      serverDate: r.serverDate === null ? null : new Date(r.serverDate),
      createdAt: new Date(r.createdAt),
      resolvedAt: r.resolvedAt === null ? null : new Date(r.resolvedAt),
      headers: {
        ...(head ? rawHeaders(head, ['from', 'subject']) : {}),
        ...((typeof r.headers === 'string' ? JSON.parse(r.headers) : (r.headers ?? {})) as Record<string, string>),
      },
    })),
    total: Number(count?.n ?? 0),
  };
}

/** Which of `ids` are quarantined mails (resolved or not). */
export async function existingQuarantinedMail(db: Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.sql.query<{ id: string }>(
    `SELECT id::text AS id FROM "MailQuarantine" WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * The named header fields of a raw source's start (64 kB: Received, ARC and DKIM lines come first), unfolded
 * and as they stand (encoded words left as they are: nothing is decoded that could fail on the mail that
 * stopped the process).
 */
function rawHeaders(head: Uint8Array, names: string[]): Record<string, string> {
  const text = Buffer.from(head).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const out: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && names.includes(name) && out[name] === undefined) out[name] = line.slice(colon + 1).trim();
  }
  return out;
}
