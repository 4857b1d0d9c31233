/**
 * How long the start-up migration record_subject_key takes: it reads every email record logged
 * before it and writes its normalized subject (the key the subject fallback reads by), 5,000 per
 * round trip. At RAPPORT_BENCH_RECORDS email records (default 100,000; subjects with reply prefixes,
 * list tags, Chinese, none) plus as many chat records it leaves alone, on PGlite and PostgreSQL.
 * Run: npx tsx bench/subject-key-backfill.bench.ts (RAPPORT_BENCH_SKIP_POSTGRES=1 to skip PostgreSQL).
 */
import type { Database } from '../src/db/database.ts';
import { SUBJECT_KEY_MIGRATION } from '../src/db/subject-key-backfill.ts';
import { benchDatabases, timeMigration } from './time-migration.ts';

const RECORDS = Number(process.env.RAPPORT_BENCH_RECORDS ?? 100_000);

async function seed(db: Database): Promise<void> {
  await db.sql.query(
    `INSERT INTO "CommunicationRecord" (id, "channelKind", subject, "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), k::"ChannelKind",
            CASE WHEN n % 10 = 0 THEN NULL WHEN n % 3 = 0 THEN 'RE: AW: [acme] Invoice  #' || n
                 WHEN n % 3 = 1 THEN '回复：报价单 ' || n ELSE 'Order ' || n END,
            k || ':' || n, now(), now(), now(), now()
       FROM generate_series(1, $1::int) AS n, unnest(ARRAY['email', 'slack']) AS k`,
    [RECORDS],
  );
}

for (const [label, open] of benchDatabases())
  await timeMigration(label, open, SUBJECT_KEY_MIGRATION, seed, async (db, applied, seconds) => {
    const [{ keyed }] = await db.sql.query<{ keyed: number }>(
      `SELECT count(*)::int AS keyed FROM "CommunicationRecord" WHERE "subjectKey" IS NOT NULL`,
    );
    return `${RECORDS.toLocaleString('en')} email records (and as many chat records) -> ${applied.join(', ')} in ${seconds} s; ${keyed.toLocaleString('en')} keyed`;
  });
