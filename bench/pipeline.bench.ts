/**
 * Pipeline throughput and reminder lateness. Run: npm run bench:pipeline
 *   RAPPORT_BENCH_RECORDS (default 10000), RAPPORT_BENCH_REMINDERS (default 10000), RAPPORT_BENCH_SKIP_PGLITE=1,
 *   RAPPORT_BENCH_RUNS (default 1: runs per configuration; medians printed at the end),
 *   RAPPORT_BENCH_WORKERS (default "1,2": PostgreSQL worker process counts), RAPPORT_BENCH_PARTS (default "1,2"),
 *   RAPPORT_BENCH_BASELINE (default 1: also run 2 worker processes with batches of one, RAPPORT_CLASSIFY_BATCH_SIZE=1 and
 *   RAPPORT_DELIVERY_BATCH_SIZE=1, right after the batched run, and print the ratios; 0 skips it),
 *   RAPPORT_BENCH_BASELINE_CHECKOUT (a directory with another checkout of Rapport, npm-installed, e.g. the previous
 *   release in a git worktree: the baseline's worker processes run its bin/rapport.js with its own defaults instead),
 *   RAPPORT_BENCH_CONCURRENCY (default 16: RAPPORT_WORKER_CONCURRENCY of the worker processes),
 *   RAPPORT_BENCH_LOG_CONCURRENCY (default 16: records the bench logs at once, like concurrent connector requests),
 *   RAPPORT_BENCH_WORKER_NODE_ARGS (node arguments of the worker processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them).
 *
 * Part 1 — log N records through the service (as a connector would), measure until all are classified
 *   and until every suggestion is posted too: records/s and log-to-classification latency p50/p99, CPU
 *   per record by process group, on PostgreSQL with 1 and 2 worker processes
 *   (`rapport start` with RAPPORT_ROLE=worker) and on PGlite with in-process workers (PGlite serves one
 *   process, so "2 worker processes" does not exist there).
 * Part 2 — M reminders due within the same minute across 100 channels, delivered to a recording
 *   connector: lateness (posted - due) p50/p99 without platform limits; then with Slack's limit
 *   (1 message/s per channel) enforced by the recording connector (it answers 429 when exceeded):
 *   count of 429s, delivered, and how long the last one took.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { statCpuMs } from './process-cpu.ts';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createLogger } from '../src/logger.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { logCommunication } from '../src/services/log-communication.service.ts';
import { findOrCreateRep } from '../src/services/reps.service.ts';
import type { Reply } from '../src/commands/reply-model.ts';
import { DeliveryError, type ChatConnector } from '../connectors/chat-connector.ts';
import { ConnectorRegistry } from '../connectors/connector-registry.ts';
import { SharedConsoleConnector } from '../connectors/console/shared-console.connector.ts';
import { ActiveClassifier } from '../jobs/active-classifier.ts';
import { bullmqPipelineHooks } from '../jobs/bullmq-pipeline-hooks.ts';
import { QueueMetrics } from '../jobs/queue-metrics.ts';
import { closeQueues, createQueues } from '../jobs/queues.ts';
import { TargetRateLimiter } from '../jobs/target-rate-limiter.ts';
import { createWorkers } from '../jobs/workers.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../test/helpers/spawn-rapport.ts';

const RECORDS = Number(process.env.RAPPORT_BENCH_RECORDS ?? 10_000);
const REMINDERS = Number(process.env.RAPPORT_BENCH_REMINDERS ?? 10_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUNS = Number(process.env.RAPPORT_BENCH_RUNS ?? 1);
/** Jobs in flight per queue and worker process (RAPPORT_WORKER_CONCURRENCY of the spawned workers). */
const WORKER_CONCURRENCY = process.env.RAPPORT_BENCH_CONCURRENCY ?? '16';
/** Node arguments of the worker processes (profiling); NODE_OPTIONS refuses --cpu-prof. */
const WORKER_NODE_ARGS = (process.env.RAPPORT_BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Records logged at once by the bench (as concurrent connector requests would); the Slack connector works on up to 32. */
const LOG_CONCURRENCY = Number(process.env.RAPPORT_BENCH_LOG_CONCURRENCY ?? 16);
const WORKER_COUNTS = (process.env.RAPPORT_BENCH_WORKERS ?? '1,2').split(',').map(Number);
const BASELINE = process.env.RAPPORT_BENCH_BASELINE !== '0';
/** Worker settings that turn batching off: one statement per message and per delivery, as before batching. */
const UNBATCHED = { RAPPORT_CLASSIFY_BATCH_SIZE: '1', RAPPORT_DELIVERY_BATCH_SIZE: '1' };
const BASELINE_CHECKOUT = process.env.RAPPORT_BENCH_BASELINE_CHECKOUT;
const BASELINE_LABEL = BASELINE_CHECKOUT
  ? `PostgreSQL, 2 workers of ${basename(BASELINE_CHECKOUT)}`
  : 'PostgreSQL, 2 workers, batches of 1';
const PARTS = new Set((process.env.RAPPORT_BENCH_PARTS ?? '1,2').split(','));
const logger = createLogger('silent');

/** Figures of every run, per configuration, for the medians printed at the end. */
const results = new Map<string, Record<string, number[]>>();
function record(config: string, figures: Record<string, number>): void {
  const r = results.get(config) ?? {};
  for (const [k, v] of Object.entries(figures)) {
    r[k] ??= [];
    r[k].push(v);
  }
  results.set(config, r);
}
const median = (xs: number[]) => pct(xs, 50);

const TEXTS = [
  'The dashboard keeps crashing, we are really unhappy',
  'Can you send us a quote for 50 more seats by Friday?',
  'Thanks, the onboarding session was great and the team loves it',
  'We are thinking about moving to a competitor when the contract ends',
  'Could we set up a call next Tuesday at 3pm to go through the roadmap?',
  'Do you support single sign-on with Okta?',
  'Invoice 2231 attached, please forward to accounts payable',
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i], i);
    }),
  );
}

async function seedCompanies(db: Database, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await db.prisma.company.create({
      data: { name: `Bench Customer ${i}`, normalizedName: `bench customer ${i}` },
    });
    ids.push(c.id);
  }
  return ids;
}

/**
 * CPU time (ms) used so far by each process group, on Linux, from /proc: each live process's own time
 * plus that of its children it has reaped. The latter keeps the time of exited processes: PostgreSQL
 * backends come and go with pool connections (a pool closes idle ones), and once one exits its time
 * is in the postmaster's. Empty where /proc is missing.
 */
function cpuSnapshot(): Map<string, number> {
  const snap = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return snap;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const group =
        Number(pid) === process.pid
          ? 'bench process'
          : cmd.includes('bin/rapport.js')
            ? 'worker processes'
            : stat.includes('(postgres)')
              ? 'postgres'
              : stat.includes('(redis-server)')
                ? 'redis'
                : undefined;
      if (!group) continue;
      snap.set(group, (snap.get(group) ?? 0) + statCpuMs(stat, true));
    } catch {
      // exited meanwhile
    }
  }
  return snap;
}

/** CPU per record since `before`, by process group and in total (ms); `text` is empty where /proc is missing. */
function cpuPerRecord(before: Map<string, number>, records: number): { text: string; total: number } {
  const groups = new Map<string, number>();
  for (const [group, ms] of cpuSnapshot()) groups.set(group, ms - (before.get(group) ?? 0));
  if (groups.size === 0) return { text: '', total: NaN };
  const total = [...groups.values()].reduce((a, b) => a + b, 0) / records;
  return {
    text: `${[...groups].map(([g, ms]) => `${g} ${(ms / records).toFixed(2)} ms`).join(', ')}; total ${total.toFixed(2)} ms`,
    total,
  };
}

/** Part 1: log RECORDS records and wait until every one is classified. */
async function classifyRun(
  label: string,
  db: Database,
  prefix: string,
  startWorkers: () => Promise<() => Promise<void>>,
): Promise<void> {
  const redis = connectRedis(REDIS_URL);
  const queues = createQueues(redis, prefix);
  const hooks = bullmqPipelineHooks(db, redis, queues);
  // Build the default model before the clock starts (workers load it from the database).
  await new ActiveClassifier(db, logger).get();
  const rep = await findOrCreateRep(db.prisma, {
    platform: 'console',
    platformUserId: 'bench',
    displayName: 'Bench',
    timezone: 'UTC',
  });
  const companies = await seedCompanies(db, 100);
  const stop = await startWorkers();
  const run = randomBytes(3).toString('hex');
  const cpuBefore = cpuSnapshot();
  const t0 = performance.now();
  await pool(
    Array.from({ length: RECORDS }, (_, i) => i),
    LOG_CONCURRENCY,
    async (i) => {
      await logCommunication(
        db,
        {
          companyId: companies[i % companies.length],
          text: `${TEXTS[i % TEXTS.length]} (#${i})`,
          occurredAt: new Date(),
          sourceKey: `bench:${run}:${i}`,
          repId: rep.id,
          repName: rep.name,
          actor: { repId: rep.id, platform: 'console' },
        },
        hooks,
      );
    },
  );
  const logMs = performance.now() - t0;
  for (;;) {
    const [{ n }] = await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM "Classification"');
    if (n >= RECORDS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const totalMs = performance.now() - t0;
  const cpu = cpuPerRecord(cpuBefore, RECORDS);
  // Suggestion posts share the workers' CPU with classification but are not waited for: how many were
  // done by then says how much of that work the CPU figures include.
  const [{ posted }] = await db.sql.query<{ posted: number }>(
    `SELECT count(*)::int AS posted FROM "Delivery" WHERE status = 'sent'`,
  );
  const rows = await db.sql.query<{ ms: number }>(
    'SELECT EXTRACT(EPOCH FROM (c."createdAt" - m."createdAt")) * 1000 AS ms FROM "Classification" c JOIN "Message" m ON m.id = c."messageId"',
  );
  const lat = rows.map((r) => Number(r.ms));
  const classified = {
    'records/s': RECORDS / (totalMs / 1000),
    'p50 ms': pct(lat, 50),
    'p99 ms': pct(lat, 99),
    'log s': logMs / 1000,
    'posted by then': posted,
    'CPU ms/record': cpu.total,
  };
  console.log(
    `${label.padEnd(34)} ${RECORDS} records: logged in ${(logMs / 1000).toFixed(1)} s, all classified after ${(totalMs / 1000).toFixed(1)} s = ` +
      `${(RECORDS / (totalMs / 1000)).toFixed(0)} records/s end to end; log->classified p50 ${fmt(pct(lat, 50))}, p99 ${fmt(pct(lat, 99))}; ${posted} suggestions posted by then\n  CPU per record: ${cpu.text}`,
  );
  // Then the whole pipeline's work: CPU per record once every suggestion is posted too (comparable
  // between runs, whatever share of the posts was done when classification finished).
  const [{ suggested }] = await db.sql.query<{ suggested: number }>(
    `SELECT count(*)::int AS suggested FROM "FollowUp" WHERE source = 'suggested'`,
  );
  let sent = 0;
  for (const until = Date.now() + 60_000; Date.now() < until && sent < suggested; ) {
    [{ n: sent }] = await db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Delivery" WHERE status = 'sent'`,
    );
    if (sent < suggested) await new Promise((r) => setTimeout(r, 100));
  }
  const allMs = performance.now() - t0;
  if (sent < suggested)
    console.log(`  NOT ALL POSTED: ${sent} of ${suggested} suggestions after ${(allMs / 1000).toFixed(0)} s`);
  const withPosts = cpuPerRecord(cpuBefore, RECORDS);
  record(label, {
    ...classified,
    'records/s all posted': RECORDS / (allMs / 1000),
    'CPU ms/record all posted': withPosts.total,
  });
  console.log(
    `  all ${suggested} suggestions posted after ${(allMs / 1000).toFixed(1)} s = ${(RECORDS / (allMs / 1000)).toFixed(0)} records/s with every post; CPU per record with them: ${withPosts.text}`,
  );
  await stop();
  await closeQueues(queues);
  const keys = await redis.keys(`${prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  await redis.quit();
}

function inProcessWorkers(
  db: Database,
  prefix: string,
  registry = new ConnectorRegistry(),
  limits?: ConstructorParameters<typeof TargetRateLimiter>[2],
) {
  return async () => {
    const redis = connectRedis(REDIS_URL);
    const queues = createQueues(redis, prefix);
    const console_ = new SharedConsoleConnector(redis, prefix);
    if (!registry.platforms.includes('console')) registry.register(console_);
    const deps: PipelineDeps = {
      db,
      redis,
      queues,
      registry,
      logger,
      limiter: new TargetRateLimiter(redis, `${prefix}:rapport`, limits),
      classifier: new ActiveClassifier(db, logger),
      settings: {
        timezone: 'UTC',
        defaultTarget: 'console:team',
        escalateAfterMs: 24 * 3_600_000,
        digestTime: '09:00',
        retrainCron: '0 3 * * *',
      },
    };
    const workers = createWorkers(
      deps,
      { redisUrl: REDIS_URL, prefix, concurrency: 16, lockDurationMs: 30_000, stalledIntervalMs: 30_000 },
      new QueueMetrics(new Registry(), queues),
      logger,
    );
    workers.run();
    return async () => {
      await workers.close();
      await closeQueues(queues);
      await redis.quit();
    };
  };
}

function workerProcesses(
  url: string,
  prefix: string,
  count: number,
  dataDir: string,
  env: Record<string, string> = {},
  bin?: string,
) {
  return async () => {
    const procs: SpawnedRapport[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const p = spawnRapport(
        ['start'],
        {
          RAPPORT_ROLE: 'worker',
          DATABASE_URL: url,
          REDIS_URL,
          RAPPORT_QUEUE_PREFIX: prefix,
          PORT: String(port),
          RAPPORT_DATA_DIR: dataDir,
          LOG_LEVEL: 'error',
          RAPPORT_WORKER_CONCURRENCY: WORKER_CONCURRENCY,
          ...env,
        },
        { nodeArgs: WORKER_NODE_ARGS, bin },
      );
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000, p);
      procs.push(p);
    }
    return async () => {
      for (const p of procs) p.child.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.exited));
    };
  };
}

/** A chat platform on this machine: records every post; optionally enforces 1 message/s per channel like Slack. */
class RecordingConnector implements ChatConnector {
  readonly posts: Array<{ target: string; at: number; key?: string }> = [];
  rejected = 0;
  private readonly lastByTarget = new Map<string, number>();
  constructor(
    readonly platform: string,
    private readonly perChannelIntervalMs = 0,
  ) {}
  async post(target: string, _reply: Reply, opts: { idempotencyKey?: string } = {}) {
    const now = Date.now();
    if (this.perChannelIntervalMs > 0) {
      const last = this.lastByTarget.get(target) ?? 0;
      if (now - last < this.perChannelIntervalMs) {
        this.rejected++;
        throw new DeliveryError(
          'rate_limited',
          'HTTP 429 from the recording server',
          this.perChannelIntervalMs - (now - last),
        );
      }
      this.lastByTarget.set(target, now);
    }
    this.posts.push({ target, at: now, key: opts.idempotencyKey });
    return { externalId: `m${this.posts.length}` };
  }
  async update() {}
  /** Every recorded channel is the team's own. */
  async audience() {
    return 'internal' as const;
  }
  async health() {
    return { ok: true, detail: 'recording' };
  }
}

/** Part 2: REMINDERS follow-ups due within one minute across 100 channels. */
async function reminderRun(
  label: string,
  db: Database,
  platform: 'slack',
  perChannelIntervalMs: number,
  withLimiter: boolean,
): Promise<void> {
  const prefix = `{rapport-bench-${randomBytes(3).toString('hex')}}`;
  const recorder = new RecordingConnector(platform, perChannelIntervalMs);
  const registry = new ConnectorRegistry();
  registry.register(recorder);
  const redis = connectRedis(REDIS_URL);
  const queues = createQueues(redis, prefix);
  const hooks = bullmqPipelineHooks(db, redis, queues);
  const rep = await findOrCreateRep(db.prisma, {
    platform: 'console',
    platformUserId: 'bench',
    displayName: 'Bench',
    timezone: 'UTC',
  });
  const company = await db.prisma.company.create({
    data: { name: `Reminder Bench ${prefix}`, normalizedName: `reminder bench ${prefix}` },
  });
  const start = Date.now() + 20_000;
  const due = new Map<string, number>();
  const rows = Array.from({ length: REMINDERS }, (_, i) => ({
    companyId: company.id,
    title: `Bench reminder ${i}`,
    dueAt: new Date(start + Math.floor((i / REMINDERS) * 60_000)),
    status: 'open' as const,
    source: 'manual' as const,
    assigneeRepId: rep.id,
    remindTarget: `${platform}:T1/C${i % 100}`,
  }));
  // Chunks of 1,000, one after the other: Prisma splits a larger createMany into statements it sends
  // at once on one transaction's connection, which pg 8.19 deprecates (a warning in the output).
  for (let i = 0; i < rows.length; i += 1_000) await db.prisma.followUp.createMany({ data: rows.slice(i, i + 1_000) });
  const created = await db.prisma.followUp.findMany({
    where: { companyId: company.id },
    select: { id: true, dueAt: true },
  });
  for (const f of created) due.set(f.id, f.dueAt.getTime());
  await pool(created, 16, async (f) => hooks.followUpChanged(f.id));
  const stop = await inProcessWorkers(db, prefix, registry, withLimiter ? undefined : {})();
  const deadline =
    start + 60_000 + (perChannelIntervalMs > 0 ? (REMINDERS / 100) * perChannelIntervalMs + 60_000 : 30_000);
  while (recorder.posts.length < REMINDERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const sent = await db.prisma.delivery.findMany({
    where: { key: { startsWith: 'reminder-' }, status: 'sent' },
    select: { key: true, updatedAt: true },
  });
  const lateness = recorder.posts.map(
    (p) => p.at - (due.get(p.key!.slice('reminder-'.length, 'reminder-'.length + 36)) ?? p.at),
  );
  const last = Math.max(...recorder.posts.map((p) => p.at)) - (start + 60_000);
  record(
    label,
    perChannelIntervalMs > 0
      ? { delivered: recorder.posts.length, '429s': recorder.rejected, 'last s after minute': last / 1000 }
      : {
          delivered: recorder.posts.length,
          'p50 ms': pct(lateness, 50),
          'p99 ms': pct(lateness, 99),
          'max ms': Math.max(...lateness),
        },
  );
  console.log(
    `${label.padEnd(34)} ${recorder.posts.length}/${REMINDERS} delivered (${sent.length} recorded sent), ` +
      (perChannelIntervalMs > 0
        ? `429s: ${recorder.rejected}, last one ${(last / 1000).toFixed(0)} s after the minute ended (100 channels at 1/s need ≥ ${REMINDERS / 100 - 60} s)`
        : `lateness p50 ${fmt(pct(lateness, 50))}, p99 ${fmt(pct(lateness, 99))}, max ${fmt(Math.max(...lateness))}`),
  );
  await stop();
  await closeQueues(queues);
  const keys = await redis.keys(`${prefix}*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  await redis.quit();
  await db.prisma.followUp.deleteMany({ where: { companyId: company.id } });
  await db.prisma.delivery.deleteMany({ where: { key: { startsWith: 'reminder-' } } });
}

async function part1(dataDir: string): Promise<void> {
  console.log('\n== Part 1: log -> classified');
  const setups = WORKER_COUNTS.flatMap((workers) => [
    { label: `PostgreSQL, ${workers} worker process(es)`, workers, env: {}, bin: undefined as string | undefined },
    ...(BASELINE && workers === 2
      ? [
          {
            label: BASELINE_LABEL,
            workers,
            env: BASELINE_CHECKOUT ? {} : UNBATCHED,
            bin: BASELINE_CHECKOUT ? join(BASELINE_CHECKOUT, 'bin', 'rapport.js') : undefined,
          },
        ]
      : []),
  ]);
  for (const setup of setups) {
    const scratch = await createScratchPostgres();
    const db = await openDatabase({ databaseUrl: scratch.url });
    const prefix = `{rapport-bench-${randomBytes(3).toString('hex')}}`;
    await classifyRun(
      setup.label,
      db,
      prefix,
      workerProcesses(scratch.url, prefix, setup.workers, dataDir, setup.env, setup.bin),
    );
    await db.close();
    await scratch.drop();
  }
  if (process.env.RAPPORT_BENCH_SKIP_PGLITE !== '1') {
    const db = await openDatabase({});
    const prefix = `{rapport-bench-${randomBytes(3).toString('hex')}}`;
    await classifyRun('PGlite, in-process workers', db, prefix, inProcessWorkers(db, prefix));
    await db.close();
  }
}

async function part2(): Promise<void> {
  console.log('\n== Part 2: reminders due within one minute across 100 channels (PostgreSQL, in-process workers)');
  const scratch = await createScratchPostgres();
  const db = await openDatabase({ databaseUrl: scratch.url });
  await reminderRun('no platform limit', db, 'slack', 0, false);
  await reminderRun('Slack limit 1/s per channel, limiter on', db, 'slack', 1_000, true);
  await db.close();
  await scratch.drop();
}

async function main() {
  console.log(`bench:pipeline on ${new Date().toISOString()}, node ${process.version}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-'));
  try {
    for (let run = 1; run <= RUNS; run++) {
      if (RUNS > 1) console.log(`\n### run ${run} of ${RUNS}`);
      if (PARTS.has('1')) await part1(dataDir);
      if (PARTS.has('2')) await part2();
    }
    if (RUNS > 1) {
      console.log(`\n== Medians of ${RUNS} runs`);
      for (const [config, figures] of results) {
        console.log(
          `${config.padEnd(40)} ${Object.entries(figures)
            .map(
              ([k, v]) =>
                `${k} ${median(v).toFixed(k === 'log s' || k.startsWith('last') || k.startsWith('CPU') ? 1 : 0)}`,
            )
            .join(', ')}`,
        );
      }
    }
    const batched = results.get('PostgreSQL, 2 worker process(es)');
    const baseline = results.get(BASELINE_LABEL);
    if (batched && baseline) {
      // Ratios run by run (each pair ran back to back), then their median: the machine's speed drifts between runs.
      const ratios = (key: string) => batched[key].map((v, i) => v / baseline[key][i]).filter(Number.isFinite);
      const r = (key: string) =>
        `${median(ratios(key)).toFixed(2)}x (runs ${ratios(key)
          .map((x) => x.toFixed(2))
          .join(', ')})`;
      console.log(
        `\n== 2 worker processes: this checkout vs ${BASELINE_LABEL.replace('PostgreSQL, 2 workers', '').replace(/^,? ?(of )?/, '')} (same run, back to back)`,
      );
      console.log(
        `records/s until classified ${r('records/s')}; until every suggestion is posted ${r('records/s all posted')}`,
      );
      console.log(
        `CPU per record until classified ${r('CPU ms/record')}; with every post ${r('CPU ms/record all posted')}`,
      );
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
