import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import type { DbClient } from './db-client.ts';
import type { Prisma } from './generated/client.ts';
import { batchRows } from './batch-rows.ts';
import {
  FOLLOW_UP_CARD_COLUMNS,
  FOLLOW_UP_CARD_JOINS,
  followUpCardFromRow,
  type FollowUpCardData,
} from './follow-up-card.repository.ts';

/** The Delivery row of a key, and what a delivery needs to build its message, read in one statement. */
export interface ClaimedDelivery {
  /** The status before this claim (`pending` for a new row): `posting` means an earlier run may have posted. */
  status: string;
  externalId: string | null;
  /** The linked channel's own timezone, if it has one. */
  channelTimezone: string | null;
  /** The follow-up's card data, when a follow-up was asked for, the delivery is not sent yet, and it still exists. */
  card: FollowUpCardData | undefined;
  /**
   * Whether the claim already marked the row `posting` (counting an attempt), as setDeliveryStatus(`posting`)
   * would: done for follow-up cards whose follow-up exists, the deliveries that go on to post.
   */
  markedPosting: boolean;
  /**
   * Set when another worker holds a live lease on this delivery (it is posting it now, or stalled):
   * this one must not post before then. The lease expires, so a dead holder does not block it forever.
   */
  heldUntil: Date | undefined;
}

const PLATFORMS = new Set(['slack', 'teams', 'email', 'console']);

// Claims many keys in one statement, each as follows. A new key is inserted; an existing one is left as
// it is, except that a follow-up card not sent yet (whose follow-up exists) is marked `posting` (saving
// the separate UPDATE before the post). `locked` takes the existing rows' locks and reads their status
// before the claim; the upsert's input depends on it, so each row is locked before it is updated. A
// key that a concurrent insert committed after this statement's snapshot comes back from neither half
// (unless marked: then with `posting` as its status before, since that is unknown); the caller asks
// again. Every lookup is a per-row probe of a unique index and the update goes through the upsert's
// arbiter index: the statement is prepared once per connection, and its cached plan must not turn
// into scanning whole tables as they grow from empty.
const CLAIM = `
WITH i AS (
  SELECT i.* FROM ${batchRows('i', [
    ['id', 'uuid'],
    ['key', 'text'],
    ['target', 'text'],
    ['"followUpId"', 'uuid'],
    ['platform', 'text'],
    ['"channelRef"', 'text'],
    ['payload', 'jsonb'],
    ['"leaseToken"', 'uuid'],
  ])}
), p AS (
  SELECT i.*, (SELECT f.id FROM "FollowUp" f WHERE f.id = i."followUpId") IS NOT NULL AS mark FROM i
), locked AS (
  SELECT p.key, o.status FROM p CROSS JOIN LATERAL (SELECT e.status FROM "Delivery" e WHERE e.key = p.key FOR UPDATE) o WHERE p.mark
), up AS (
  INSERT INTO "Delivery" (id, key, target, status, attempts, payload, "leaseToken", "leaseUntil", "createdAt", "updatedAt")
  SELECT p.id, p.key, p.target, CASE WHEN p.mark THEN 'posting' ELSE 'pending' END, CASE WHEN p.mark THEN 1 ELSE 0 END, p.payload,
    CASE WHEN p.mark THEN p."leaseToken" END, CASE WHEN p.mark THEN $10::timestamptz END, $9::timestamptz, $9::timestamptz
  FROM p LEFT JOIN locked o ON o.key = p.key
  ON CONFLICT (key) DO UPDATE SET status = 'posting', attempts = "Delivery".attempts + 1, "updatedAt" = EXCLUDED."updatedAt",
    "leaseToken" = EXCLUDED."leaseToken", "leaseUntil" = EXCLUDED."leaseUntil", payload = COALESCE("Delivery".payload, EXCLUDED.payload)
    WHERE EXCLUDED.status = 'posting' AND "Delivery".status <> 'sent'
      AND ("Delivery"."leaseUntil" IS NULL OR "Delivery"."leaseUntil" <= EXCLUDED."updatedAt")
  RETURNING id, key, status, "externalId"
), d AS (
  SELECT p.key, CASE WHEN up.id = p.id THEN 'pending' ELSE COALESCE(o.status, 'posting') END AS status, up."externalId", up.status = 'posting' AS "markedPosting", NULL::timestamptz AS "heldUntil"
  FROM p JOIN up ON up.key = p.key LEFT JOIN locked o ON o.key = p.key
  UNION ALL
  SELECT p.key, e.status, e."externalId", false, CASE WHEN e.status = 'posting' AND e."leaseUntil" > $9::timestamptz THEN e."leaseUntil" END
  FROM p CROSS JOIN LATERAL (SELECT e.status, e."externalId", e."leaseUntil" FROM "Delivery" e WHERE e.key = p.key OFFSET 0) e
  WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.key = p.key)
)
SELECT d.key, d.status, d."externalId", d."markedPosting", d."heldUntil",
  (SELECT l.timezone FROM "ChannelLink" l WHERE l.platform = p.platform::"Platform" AND l."channelRef" = p."channelRef" AND l.timezone IS NOT NULL LIMIT 1) AS "channelTimezone",
  ${FOLLOW_UP_CARD_COLUMNS}
FROM d
JOIN p ON p.key = d.key
LEFT JOIN LATERAL (SELECT * FROM "FollowUp" f WHERE f.id = p."followUpId" AND d.status <> 'sent' OFFSET 0) f ON true
${FOLLOW_UP_CARD_JOINS}`;

/** A delivery to claim: its idempotency key, where it goes, and the follow-up whose card it posts (if any). */
export interface DeliveryToClaim {
  key: string;
  target: string;
  followUpId?: string;
  /** The deliver job's data, kept on a new row so the reconciler can queue it again without Redis. */
  payload?: unknown;
  /** Fencing token of this attempt: taken with the lease when the claim marks the row `posting`. */
  leaseToken?: string;
}

/**
 * For each delivery: creates the Delivery row of its key unless it exists, and returns its state
 * together with the target channel's timezone and (for follow-up deliveries not yet sent) the
 * follow-up's card data, in one statement for all; answers in the order asked. A follow-up delivery
 * not yet sent whose follow-up exists is marked `posting` in the same statement (see
 * {@link ClaimedDelivery.markedPosting}). Keys must be distinct.
 */
export async function claimDeliveries(
  sql: SqlRunner,
  deliveries: readonly DeliveryToClaim[],
  now = new Date(),
  leaseMs = DEFAULT_LEASE_MS,
): Promise<ClaimedDelivery[]> {
  const claimed = new Map<string, ClaimedDelivery>();
  for (let attempt = 0; ; attempt++) {
    const missing = deliveries.filter((d) => !claimed.has(d.key));
    if (missing.length === 0) return deliveries.map((d) => claimed.get(d.key)!);
    if (attempt >= 3) throw new Error(`delivery ${missing[0].key} could be neither created nor read`);
    const cols: unknown[][] = [[], [], [], [], [], [], [], []];
    for (const d of missing) {
      const colon = d.target.indexOf(':');
      const platform = colon > 0 ? d.target.slice(0, colon) : d.target;
      [
        randomUUID(),
        d.key,
        d.target,
        d.followUpId ?? null,
        PLATFORMS.has(platform) ? platform : null,
        colon > 0 ? d.target.slice(colon + 1) : '',
        d.payload === undefined ? null : JSON.stringify(d.payload),
        d.leaseToken ?? randomUUID(),
      ].forEach((v, i) => {
        cols[i].push(v);
      });
    }
    for (const row of await sql.query<Record<string, unknown>>(CLAIM, [
      ...cols,
      now,
      new Date(now.getTime() + leaseMs),
    ])) {
      claimed.set(row.key as string, {
        status: row.status as string,
        externalId: (row.externalId as string | null) ?? null,
        channelTimezone: (row.channelTimezone as string | null) ?? null,
        card: followUpCardFromRow(row),
        markedPosting: row.markedPosting === true,
        heldUntil: row.heldUntil ? new Date(row.heldUntil as string) : undefined,
      });
    }
  }
}

/** How long a worker's claim on a delivery lasts unless confirmed again; the job lock's default. */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * Moves a delivery to `status`, with `lastError` when given. `not-posting` takes back the attempt its claim counted (the post did
 * not happen after all: no rate-limit slot), restoring `previousStatus`. Every status but `posting`
 * gives up the lease.
 */
export async function setDeliveryStatus(
  sql: SqlRunner,
  key: string,
  status: 'not-posting' | 'pending' | 'failed' | 'skipped',
  lastError?: string,
  previousStatus?: string,
): Promise<void> {
  const release = `"leaseToken" = NULL, "leaseUntil" = NULL`;
  if (status === 'not-posting') {
    await sql.query(
      `UPDATE "Delivery" SET status = $2, attempts = attempts - 1, ${release}, "updatedAt" = $3, "lastError" = COALESCE($4, "lastError") WHERE key = $1`,
      [key, previousStatus ?? 'pending', new Date(), lastError ?? null],
    );
  } else if (lastError !== undefined) {
    await sql.query(
      `UPDATE "Delivery" SET status = $2, "lastError" = $3, ${release}, "updatedAt" = $4 WHERE key = $1`,
      [key, status, lastError, new Date()],
    );
  } else {
    await sql.query(`UPDATE "Delivery" SET status = $2, ${release}, "updatedAt" = $3 WHERE key = $1`, [
      key,
      status,
      new Date(),
    ]);
  }
}

/**
 * Marks a delivery `posting` under this attempt's lease (counting an attempt), unless it is sent or
 * another attempt holds a live lease. Answers whether the lease was taken.
 */
export async function takeDeliveryLease(
  sql: SqlRunner,
  key: string,
  token: string,
  leaseMs = DEFAULT_LEASE_MS,
  now = new Date(),
): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Delivery" SET status = 'posting', attempts = attempts + 1, "leaseToken" = $2, "leaseUntil" = $4, "updatedAt" = $3
      WHERE key = $1 AND status <> 'sent' AND ("leaseUntil" IS NULL OR "leaseUntil" <= $3 OR "leaseToken" = $2) RETURNING key`,
    [key, token, now, new Date(now.getTime() + leaseMs)],
  );
  return rows.length > 0;
}

/**
 * The fencing check right before a post: renews this attempt's lease if it still holds it. A worker
 * that stalled past its lease (a long GC pause, SIGSTOP, a slow database) finds another attempt took
 * the delivery over, and must not post.
 */
export async function confirmDeliveryLease(
  sql: SqlRunner,
  key: string,
  token: string,
  leaseMs = DEFAULT_LEASE_MS,
  now = new Date(),
): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Delivery" SET "leaseUntil" = $3 WHERE key = $1 AND "leaseToken" = $2 AND status = 'posting' RETURNING key`,
    [key, token, new Date(now.getTime() + leaseMs)],
  );
  return rows.length > 0;
}

/**
 * Gives up this attempt's lease after an uncertain error (the post may have gone out): the row stays
 * `posting`, so its retry looks the post up first, and need not wait the lease out. `lastError` says why.
 */
export async function releaseDeliveryLease(
  sql: SqlRunner,
  key: string,
  token: string,
  lastError?: string,
): Promise<void> {
  await sql.query(
    `UPDATE "Delivery" SET "leaseUntil" = $3, "lastError" = COALESCE($4, "lastError") WHERE key = $1 AND "leaseToken" = $2`,
    [key, token, new Date(), lastError ?? null],
  );
}

/** A posted delivery to record: the platform's message id and, for a follow-up's card, where it is. */
export interface SentDelivery {
  key: string;
  externalId: string;
  /**
   * Where the message went when that is not the row's target (the last-step guard redirected it, or it
   * was grouped in a thread): kept as `payload.postedTo`, so that taking back what was posted in a place
   * finds it there (findPostsInPlace).
   */
  postedTo?: string;
  followUp?: { id: string; messageRef: string; purpose: 'suggestion' | 'reminder' | 'escalation' };
}

// Planned per call (cheap for this statement): an UPDATE joined to a batch is planned as index probes or
// as a hash join over the whole table depending on the table's size, and a plan cached while the table
// was small would keep scanning all of it.
const RECORD_SENT = `
WITH i AS (
  SELECT i.* FROM ${batchRows('i', [
    ['key', 'text'],
    ['"externalId"', 'text'],
    ['"followUpId"', 'uuid'],
    ['"messageRef"', 'text'],
    ['"messagePurpose"', 'text'],
    ['"postedTo"', 'text'],
  ])}
), d AS (
  UPDATE "Delivery" x SET status = 'sent', "externalId" = i."externalId",
    payload = CASE WHEN i."postedTo" IS NULL THEN x.payload
                   ELSE coalesce(x.payload, '{}'::jsonb) || jsonb_build_object('postedTo', i."postedTo") END,
    "lastError" = NULL, "leaseToken" = NULL, "leaseUntil" = NULL, "updatedAt" = $7::timestamptz FROM i WHERE x.key = i.key
)
UPDATE "FollowUp" f SET "messageRef" = i."messageRef", "messagePurpose" = i."messagePurpose", "updatedAt" = $7::timestamptz FROM i WHERE f.id = i."followUpId"`;

/**
 * Records deliveries as sent and, where one posted a follow-up's card, remembers the message on the
 * follow-up (so later changes update it in place), in one statement for all.
 */
export async function recordDeliveriesSent(sql: SqlRunner, sent: readonly SentDelivery[]): Promise<void> {
  await sql.query(
    RECORD_SENT,
    [
      sent.map((s) => s.key),
      sent.map((s) => s.externalId),
      sent.map((s) => s.followUp?.id ?? null),
      sent.map((s) => s.followUp?.messageRef ?? null),
      sent.map((s) => s.followUp?.purpose ?? null),
      sent.map((s) => s.postedTo ?? null),
      new Date(),
    ],
    {
      planPerCall: true,
    },
  );
}

/** A delivery written down before its job is queued: its key, where it goes, and the job's data. */
export interface PendingDelivery {
  key: string;
  target: string;
  payload: unknown;
}

/**
 * Writes deliveries down as `pending` with their job's data before the jobs are queued, so that a job
 * Redis never took (unreachable at that moment) or lost before a worker ran it (FLUSHALL, a restart
 * without persistence) is queued again by the reconciler (findDeliveriesToRedrive) instead of being
 * lost with it. A key already there is left as it is: its delivery is under way or done.
 */
export async function recordPendingDeliveries(
  sql: SqlRunner,
  deliveries: readonly PendingDelivery[],
  now = new Date(),
): Promise<void> {
  if (deliveries.length === 0) return;
  await sql.query(
    `INSERT INTO "Delivery" (id, key, target, status, attempts, payload, "createdAt", "updatedAt")
      SELECT d.id, d.key, d.target, 'pending', 0, d.payload, $5::timestamptz, $5::timestamptz
      FROM ${batchRows('d', [
        ['id', 'uuid'],
        ['key', 'text'],
        ['target', 'text'],
        ['payload', 'jsonb'],
      ])}
      ON CONFLICT (key) DO NOTHING`,
    [
      deliveries.map(() => randomUUID()),
      deliveries.map((d) => d.key),
      deliveries.map((d) => d.target),
      deliveries.map((d) => JSON.stringify(d.payload)),
      now,
    ],
    { planPerCall: deliveries.length > 1 },
  );
}

/** Which of these delivery keys have a Delivery row (any status): one index probe per key. */
export async function findExistingDeliveryKeys(sql: SqlRunner, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await sql.query<{ key: string }>(`SELECT key FROM "Delivery" WHERE key = ANY($1::text[])`, [keys]);
  return new Set(rows.map((r) => r.key));
}

/**
 * {@link recordPendingDeliveries} inside the caller's Prisma transaction: the deliveries commit with the
 * change they follow, or not at all. A process that dies between that change's commit and its own
 * write of them (the window recordPendingDeliveries leaves) cannot lose them.
 */
export async function recordPendingDeliveriesIn(
  client: DbClient,
  deliveries: readonly PendingDelivery[],
  now = new Date(),
): Promise<void> {
  if (deliveries.length === 0) return;
  await client.delivery.createMany({
    data: deliveries.map((d) => ({
      key: d.key,
      target: d.target,
      status: 'pending',
      attempts: 0,
      payload: d.payload as Prisma.InputJsonValue,
      createdAt: now,
      updatedAt: now,
    })),
    skipDuplicates: true,
  });
}

/** Whether a Delivery with this key was ever written down (whatever its status). */
export async function deliveryExists(sql: SqlRunner, key: string): Promise<boolean> {
  return (await sql.query<{ one: number }>(`SELECT 1 AS one FROM "Delivery" WHERE key = $1`, [key])).length > 0;
}

/** Records why a delivery waits (its lastError) and answers when its row was made (its first try), if it exists. */
export async function noteDeliveryWaiting(sql: SqlRunner, key: string, lastError: string): Promise<Date | undefined> {
  const [row] = await sql.query<{ createdAt: Date | string }>(
    `UPDATE "Delivery" SET "lastError" = $2 WHERE key = $1 RETURNING "createdAt"`,
    [key, lastError],
  );
  return row ? new Date(row.createdAt) : undefined;
}
