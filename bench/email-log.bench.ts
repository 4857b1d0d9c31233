/**
 * The logging half of an IMAP sync alone: the SpamAssassin corpus (BENCH_LIMIT, default 3,000),
 * parsed once up front, logged with logEmails in batches of 100 (as MailboxSync commits them) into a
 * fresh PostgreSQL database per run, classification queued on BullMQ as production does (a private
 * Redis prefix; BENCH_HOOKS=noop for none). No Dovecot and no parsing in the measured part, so a change
 * to threading, customers, the writes or the queue shows here without the IMAP sync's noise.
 * Prints per run the time and the CPU per message of this process, the PostgreSQL backend and Redis
 * (/proc), then medians per variant. BENCH_TOAST lists the Message bodies' TOAST compression to compare
 * side by side in one run (default `migrated,pglz`: what the migrations set, i.e. lz4 where the server has
 * it, against PostgreSQL's default pglz; `none` stores them uncompressed), alternating, BENCH_RUNS each
 * (default 3); the first run of each variant warms this process up and is left out of the medians.
 * BENCH_SQL_STATS=1 prints each statement's calls and time for the last run of each variant.
 * BENCH_IDLE_TIMEOUT_MS (default 30000, IMAP_LOCK_MS's default) is the batch transactions' idle timeout, as
 * MailboxSync sets it (`SET LOCAL idle_in_transaction_session_timeout` with each BEGIN); 0 sends none.
 * Run: npm run bench:email-log  (needs PostgreSQL at RAPPORT_TEST_POSTGRES_URL or 127.0.0.1:5432, Redis at 6379).
 */
import { randomBytes } from 'node:crypto';
import { parseEmailSource } from '../connectors/imap/parse-email-source.ts';
import { bullmqPipelineHooks } from '../jobs/bullmq-pipeline-hooks.ts';
import { closeQueues, createQueues } from '../jobs/queues.ts';
import type { Database, SqlRunner } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import type { InboundEmail } from '../src/domain/email-message.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { EmailCustomerCache, logEmails } from '../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../src/services/pipeline-hooks.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';
import { cpuMsBetween, processCpuMs } from './process-cpu.ts';
import { timedSql } from './timed-sql.ts';
import { loadSpamCorpus } from './spam-corpus.ts';

const limit = Number(process.env.BENCH_LIMIT ?? 3000);
const runs = Number(process.env.BENCH_RUNS ?? 3) + 1;
const variants = (process.env.BENCH_TOAST ?? 'migrated,pglz').split(',').map((v) => v.trim());
const queueOn = process.env.BENCH_HOOKS !== 'noop';
const BATCH = 100;
const idleTimeoutMs = Number(process.env.BENCH_IDLE_TIMEOUT_MS ?? 30_000);
for (const v of variants)
  if (!['migrated', 'pglz', 'lz4', 'none'].includes(v)) throw new Error(`BENCH_TOAST: unknown variant ${v}`);

const emails: InboundEmail[] = [];
for (const raw of await loadSpamCorpus(limit))
  emails.push(
    await parseEmailSource(
      raw,
      { mailbox: 'bench@support.example', folder: 'INBOX', uid: emails.length + 1 },
      {
        fallbackDate: new Date(),
      },
    ),
  );
console.log(
  `${emails.length} emails of the SpamAssassin corpus parsed; logging them in batches of ${BATCH}, ${queueOn ? 'classification queued on BullMQ' : 'no queue'}, ${idleTimeoutMs > 0 ? `idle timeout ${idleTimeoutMs} ms` : 'no idle timeout'}`,
);

const redis = connectRedis('redis://127.0.0.1:6379');
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Statement text (its first words) -> calls and ms, when BENCH_SQL_STATS=1. */
function timedStatements(sql: SqlRunner, stats: Map<string, { n: number; ms: number }>): SqlRunner {
  return timedSql(sql, (statement) => (ms) => {
    const key = statement.slice(0, 80);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += ms;
    stats.set(key, s);
  });
}

const TOAST_SQL: Record<string, string | undefined> = {
  migrated: undefined,
  pglz: 'SET COMPRESSION pglz',
  lz4: 'SET COMPRESSION lz4',
  none: 'SET STORAGE EXTERNAL',
};

async function logOnce(variant: string) {
  const scratch = await createScratchPostgres();
  const opened = await openDatabase({ databaseUrl: scratch.url });
  const dbName = new URL(scratch.url).pathname.slice(1);
  const queues = createQueues(redis, `{rapport-bench-${randomBytes(4).toString('hex')}}`);
  try {
    const alter = TOAST_SQL[variant];
    if (alter)
      await opened.sql.exec(
        `ALTER TABLE "Message" ${['text', '"cleanText"', 'metadata'].map((c) => `ALTER COLUMN ${c} ${alter}`).join(', ')}`,
      );
    const stats = new Map<string, { n: number; ms: number }>();
    const db: Database =
      process.env.BENCH_SQL_STATS === '1'
        ? {
            ...opened,
            sql: timedStatements(opened.sql, stats),
            withSession: (fn) => opened.withSession((s) => fn(timedStatements(s, stats))),
          }
        : opened;
    const hooks = queueOn ? bullmqPipelineHooks(db, redis, queues) : noopPipelineHooks;
    const customers = new EmailCustomerCache();
    const postgres = () => processCpuMs((c) => c.startsWith('postgres:') && c.includes(` ${dbName} `));
    const redisCpu = () => processCpuMs((c) => c.startsWith('redis-server'));
    const pg0 = postgres();
    const r0 = redisCpu();
    const c0 = ownCpu();
    const t0 = performance.now();
    let logged = 0;
    for (let i = 0; i < emails.length; i += BATCH) {
      const result = await logEmails(db, emails.slice(i, i + BATCH), {
        internalDomains: ['support.example'],
        hooks,
        customers,
        skipLists: false,
        defaultFilters: false,
        createCompanies: 'all',
        ...(idleTimeoutMs > 0 ? { idleTimeoutMs } : {}),
      });
      if (result.failure) throw result.failure.error;
      logged += result.outcomes.filter((o) => o.status === 'logged').length;
    }
    const n = emails.length;
    return {
      ms: performance.now() - t0,
      logged,
      own: (ownCpu() - c0) / n,
      postgres: cpuMsBetween(pg0, postgres()) / n,
      redis: cpuMsBetween(r0, redisCpu()) / n,
      stats,
    };
  } finally {
    await closeQueues(queues);
    await opened.close();
    await scratch.drop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = new Map<string, Array<Awaited<ReturnType<typeof logOnce>>>>(variants.map((v) => [v, []]));
for (let r = 0; r < runs; r++)
  for (const v of variants) {
    const res = await logOnce(v);
    console.log(
      `${r === 0 ? 'warm-up' : `run ${r}`} ${v}: ${res.logged} logged in ${res.ms.toFixed(0)} ms; CPU ms/message: this process ${res.own.toFixed(3)}, PostgreSQL ${res.postgres.toFixed(3)}, Redis ${res.redis.toFixed(3)}`,
    );
    if (r > 0) results.get(v)!.push(res);
    if (r === runs - 1 && res.stats.size > 0)
      for (const [k, s] of [...res.stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12))
        console.log(`    ${String(s.n).padStart(4)} ${s.ms.toFixed(0).padStart(6)} ms  ${k}`);
  }
console.log('medians (runs after the warm-up):');
const first = variants[0];
for (const v of variants) {
  const rs = results.get(v)!;
  const all = rs.map((x) => x.own + x.postgres + x.redis);
  const line = `  ${v}: ${median(rs.map((x) => x.ms)).toFixed(0)} ms; CPU ms/message this process ${median(rs.map((x) => x.own)).toFixed(3)}, PostgreSQL ${median(rs.map((x) => x.postgres)).toFixed(3)}, Redis ${median(rs.map((x) => x.redis)).toFixed(3)}, in all ${median(all).toFixed(3)}`;
  const base = results.get(first)!.map((x) => x.own + x.postgres + x.redis);
  console.log(v === first ? line : `${line} (${(median(all) / median(base)).toFixed(2)}x ${first})`);
}
redis.disconnect();
