/**
 * How long a page of unconfirmed senders takes (`/console/senders`, `GET /api/unconfirmed-senders`,
 * `rapport mail unconfirmed`) at RAPPORT_BENCH_SENDERS company-less contacts (default 100,000; a third
 * at free-mail addresses, the rest at company domains with one to three people each), each with two
 * messages in company-less records of its own. Side by side in one run, on PostgreSQL: the page as it is
 * read now (every sender's newest record, then the page's details) and the one aggregate that read every
 * sender's details per page before it (kept here for the comparison). Medians of RAPPORT_BENCH_RUNS
 * (default 5), alternating.
 * Run: npx tsx bench/unconfirmed-senders.bench.ts
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { isCompanyDomain } from '../src/domain/email-participants.ts';
import { emailDomain } from '../src/domain/normalize-company-name.ts';
import { pageOfUnconfirmedSenders } from '../src/services/make-customer.service.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';

const SENDERS = Number(process.env.RAPPORT_BENCH_SENDERS ?? 100_000);
const RUNS = Number(process.env.RAPPORT_BENCH_RUNS ?? 5);
const PAGE = 200;
const FREE_MAIL = ['gmail.com', 'yahoo.com', 'outlook.com', 'qq.com', '163.com'];

async function seed(db: Database): Promise<void> {
  // Contact n: a free-mail address for every third, else a person at company domain n/2 (one to three each).
  await db.sql.query(
    `INSERT INTO "Contact" (id, name, "normalizedName", emails, "createdAt", "updatedAt")
     SELECT gen_random_uuid(), 'Sender ' || n, 'sender ' || n,
            ARRAY[CASE WHEN n % 3 = 0 THEN 'sender' || n || '@' || ($2::text[])[1 + n % 5]
                       ELSE 'p' || n || '@company' || (n / 2) || '.example' END],
            now(), now()
       FROM generate_series(1, $1::int) AS n`,
    [SENDERS, FREE_MAIL],
  );
  await db.sql.query(
    `INSERT INTO "CommunicationRecord" (id, "channelKind", subject, "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), 'email', 'Question ' || n || '.' || k, 'email:<' || n || '.' || k || '@bench>',
            now() - (n * interval '1 minute') - (k * interval '1 day'), now() - (n * interval '1 minute') - (k * interval '1 day'),
            now(), now()
       FROM generate_series(1, $1::int) AS n, generate_series(1, 2) AS k`,
    [SENDERS],
  );
  await db.sql.query(
    `INSERT INTO "Message" (id, "recordId", "externalId", direction, "contactId", "authorEmail", text, "cleanText", "sentAt", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), r.id, r."sourceKey", 'inbound', c.id, c.emails[1], 'Hello', 'Hello', r."lastMessageAt", now(), now()
       FROM "CommunicationRecord" r
       JOIN "Contact" c ON c.name = 'Sender ' || split_part(substring(r."sourceKey" from 8), '.', 1)`,
  );
  await db.sql.query('ANALYZE');
}

/** The page as it was read before: one aggregate with every sender's details, grouped and paged in the app. */
async function pageBefore(db: Database, offset: number, limit: number): Promise<{ keys: string[]; total: number }> {
  const rows = await db.sql.query<{ email: string | null; domain: string | null; last: Date }>(
    `WITH mail AS (
       SELECT c.id AS contact, e, lower(substring(e from '@([^@]*)$')) AS d, r.id AS record, r."lastMessageAt" AS last,
              r.subject
         FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
         JOIN "Message" m ON m."contactId" = c.id
         JOIN "CommunicationRecord" r ON r.id = m."recordId" AND r."companyId" IS NULL
        WHERE c."companyId" IS NULL)
     SELECT e AS email, d AS domain, count(DISTINCT contact)::int AS contacts, count(DISTINCT record)::int AS records,
            max(last) AS last,
            (array_agg(subject ORDER BY last DESC) FILTER (WHERE subject IS NOT NULL))[1:12] AS subjects
       FROM mail
      GROUP BY GROUPING SETS ((e), (d))`,
  );
  const groups = new Map<string, number>();
  for (const r of rows) {
    const last = new Date(r.last).getTime();
    if (r.domain !== null && isCompanyDomain(r.domain)) groups.set(r.domain, last);
    else if (r.email !== null && !isCompanyDomain(emailDomain(r.email))) groups.set(r.email, last);
  }
  const all = [...groups].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { keys: all.slice(offset, offset + limit).map(([k]) => k), total: all.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const scratch = await createScratchPostgres();
const db = await openDatabase({ databaseUrl: scratch.url });
try {
  const t0 = performance.now();
  await seed(db);
  console.log(
    `seeded ${SENDERS.toLocaleString('en')} unconfirmed contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  for (const [label, offset] of [
    ['first page', 0],
    ['a page in the middle', Math.floor(SENDERS / 4)],
  ] as const) {
    const now: number[] = [];
    const before: number[] = [];
    let same = true;
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const a = await pageOfUnconfirmedSenders(db, offset, PAGE);
      now.push(performance.now() - t);
      t = performance.now();
      const b = await pageBefore(db, offset, PAGE);
      before.push(performance.now() - t);
      same &&= a.total === b.total && a.senders.map((s) => s.key).join() === b.keys.join();
    }
    const n = median(now);
    const o = median(before);
    console.log(
      `${label} (offset ${offset.toLocaleString('en')}, ${PAGE} a page): ${n.toFixed(0)} ms now against ${o.toFixed(0)} ms with every sender's details (${(n / o).toFixed(2)}x), medians of ${RUNS}; same senders and total: ${same}`,
    );
  }
  console.log(
    `load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await db.close();
  await scratch.drop();
}
