/**
 * Slack HTTP mode under bursts, side by side with a bare Bolt app. Spawns `rapport start` (its own
 * process, as in production, one RAPPORT_ROLE=all process) against the local Slack recorder and a bare
 * Bolt app (bench/bare-bolt-app.ts, a /crm listener that only acks) as a second process, then for each
 * rate in RAPPORT_BENCH_RATES (default 100,300,500 requests/s) for RAPPORT_BENCH_SECONDS (default 20):
 *  - the bare Bolt app, then Rapport, each with correctly signed slash commands `/crm log acme "..."`,
 *    open loop (each request leaves on its schedule whether or not earlier ones were answered, so a
 *    stall shows up in the latency); a request not answered within Slack's 3 s is a timeout;
 *  - ack latency p50/p99/max, timeouts and errors, how many Rapport shed politely (answered "busy,
 *    not logged"), how long until every acknowledged log was answered through its response_url, and
 *    after a graceful shutdown how many logs were written (lost = sent, neither shed nor written:
 *    a request Slack gave up on may still have been saved);
 * then RAPPORT_BENCH_EVENTS (default 300) message events in a linked channel, each delivered four
 * times (the original and X-Slack-Retry-Num 1..3, interleaved): duplicate records and messages must be 0.
 * Prints a table with the p99 ratio against bare Bolt and the machine's load average around each run
 * (the 2 cores are shared), and the bot's CPU time per command, all threads and its main thread alone
 * (the one that acknowledges; CPU time per command moves less with a busy machine than latency does). PostgreSQL by default (RAPPORT_BENCH_DATABASES=postgres,pglite for both).
 * RAPPORT_BENCH_BOT_NODE_ARGS (space-separated) go to the bot's node itself, e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof); RAPPORT_BENCH_BOT_NODE_OPTIONS is passed
 * to the bot as NODE_OPTIONS; RAPPORT_BENCH_BOT_OUTPUT=<file> keeps everything the bot printed; RAPPORT_CLASSIFY_THREAD is passed on (off: classification on the bot's
 * main thread, as before it had a thread of its own).
 * On PostgreSQL the load starts once the warm-up logs are classified (the default model is built).
 * Run: flock /tmp/rapport-bench.lock npm run bench:slack
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { statCpuMs } from './process-cpu.ts';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/open-database.ts';
import type { Database } from '../src/db/database.ts';
import { normalizeCompanyName } from '../src/domain/normalize-company-name.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { freePort, spawnRapport, waitForHttp } from '../test/helpers/spawn-rapport.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';
import { SlackRecorderThread } from './slack-recorder-thread.ts';
import { eventCallbackBody, slashCommandBody } from '../test/helpers/slack-requests.ts';
import { postSigned, type SignedAnswer } from './signed-post.ts';

const RATES = (process.env.RAPPORT_BENCH_RATES ?? '100,300,500').split(',').map(Number);
const SECONDS = Number(process.env.RAPPORT_BENCH_SECONDS ?? 20);
const EVENTS = Number(process.env.RAPPORT_BENCH_EVENTS ?? 300);
const EVENT_RATE = 100;
/** Slack shows the user an error when a slash command is not acknowledged within 3 s, and does not retry. */
const SLACK_ACK_LIMIT_MS = 3_000;
const DATABASES = (process.env.RAPPORT_BENCH_DATABASES ?? 'postgres').split(',').map((s) => s.trim()) as Array<
  'pglite' | 'postgres'
>;
const SECRET = 'bench-signing-secret-0123456789';
const TEAM = 'T1';
const CHANNEL = 'CACME';

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux); with `mainThread`, only
 * its main thread's (the one that acknowledges Slack; a process's own thread id is its pid).
 */
function cpuMs(pid: number | undefined, mainThread = false): number {
  if (!pid) return NaN;
  try {
    return statCpuMs(readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/**
 * Waits until the process used under 10% of a core over a whole second (its held-back pipeline work
 * done), 5 minutes at most; returns the seconds waited.
 */
async function untilQuiet(pid: number | undefined): Promise<number> {
  const since = Date.now();
  let before = cpuMs(pid);
  while (Date.now() - since < 300_000) {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = cpuMs(pid);
    if (!(now - before > 100)) break;
    before = now;
  }
  return (Date.now() - since) / 1000;
}

/**
 * The bot's main-thread event-loop delay since the last call (prom-client's histogram, restarted at each
 * scrape of /metrics): how long a ready callback (an ack) waited for the thread itself. Latency above it
 * is the machine's (CPU shared with other processes) or the client's.
 */
async function loopDelay(base: string): Promise<{ p50: string; p99: string; max: string }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => {
    const m = new RegExp(`^rapport_nodejs_eventloop_lag_${name}_seconds(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
    return m ? `${(Number(m[1]) * 1000).toFixed(1)} ms` : '?';
  };
  return { p50: read('p50'), p99: read('p99'), max: read('max') };
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;

interface LoadResult {
  sent: number;
  ok: number;
  /** Acknowledged with the polite "busy, not logged" answer instead of being queued. */
  shed: number;
  timeouts: number;
  errors: number;
  errorKinds: Map<string, number>;
  latencies: number[];
}

/** Sends `make(i)` every 1000/rate ms for `seconds`, open loop; records each request's time to its answer. */
async function openLoop(
  rate: number,
  seconds: number,
  make: (i: number) => (signal: AbortSignal) => Promise<SignedAnswer>,
): Promise<LoadResult> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const result: LoadResult = { sent: 0, ok: 0, shed: 0, timeouts: 0, errors: 0, errorKinds: new Map(), latencies: [] };
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const send = make(i);
    const t0 = performance.now();
    result.sent++;
    pending.push(
      send(AbortSignal.timeout(SLACK_ACK_LIMIT_MS)).then(
        async (res) => {
          const body = await res.text();
          result.latencies.push(performance.now() - t0);
          if (res.status === 200) {
            result.ok++;
            if (body.includes('busy')) result.shed++;
          } else {
            result.errors++;
            result.errorKinds.set(`HTTP ${res.status}`, (result.errorKinds.get(`HTTP ${res.status}`) ?? 0) + 1);
          }
        },
        (err: Error) => {
          if (err.name === 'TimeoutError') {
            result.timeouts++;
            result.latencies.push(SLACK_ACK_LIMIT_MS);
            return;
          }
          result.errors++;
          const kind = (err.cause as { code?: string } | undefined)?.code ?? err.message;
          result.errorKinds.set(kind, (result.errorKinds.get(kind) ?? 0) + 1);
        },
      ),
    );
  }
  await Promise.all(pending);
  result.latencies.sort((a, b) => a - b);
  return result;
}

function describeLoad(label: string, r: LoadResult): string {
  const l = r.latencies;
  const kinds = [...r.errorKinds].map(([k, n]) => `${k} x${n}`).join(', ');
  return `${label.padEnd(30)} sent ${r.sent}, 200 ${r.ok} (shed ${r.shed}), timeouts ${r.timeouts}, errors ${r.errors}${kinds ? ` (${kinds})` : ''}; latency p50 ${ms(pct(l, 50))}, p90 ${ms(pct(l, 90))}, p99 ${ms(pct(l, 99))}, max ${ms(l[l.length - 1] ?? NaN)}`;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** Starts the bare Bolt baseline app on `port` and resolves once it listens. */
async function startBareBolt(port: number): Promise<{ pid: number | undefined; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./bare-bolt-app.ts', import.meta.url).pathname, String(port), SECRET],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bare Bolt app exited (${code})`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function seed(db: Database): Promise<void> {
  const acme = await db.prisma.company.create({
    data: { name: 'Acme', normalizedName: normalizeCompanyName('Acme'), domains: ['acme.com'] },
  });
  await db.prisma.channelLink.create({
    data: { platform: 'slack', channelRef: `${TEAM}/${CHANNEL}`, companyId: acme.id },
  });
}

interface RateRow {
  rate: number;
  bare: LoadResult;
  rapport: LoadResult;
  loadBefore: string;
  loadAfter: string;
  drainSeconds: number;
  written?: number;
}

const commandBody = (slack: SlackRecorderThread, key: string, i: number) =>
  slashCommandBody({
    teamId: TEAM,
    channelId: CHANNEL,
    userId: `U${i % 20}`,
    text: `log acme "Call ${key}: they asked for a quote for ${10 + (i % 90)} seats by Friday"`,
    triggerId: key,
    responseUrl: slack.responseUrl(key),
  });

async function runOn(kind: 'pglite' | 'postgres'): Promise<RateRow[]> {
  // On a thread of its own: the response_url posts must not delay the requests this thread sends.
  const slack = new SlackRecorderThread();
  const apiUrl = await slack.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-slack-'));
  const prefix = `{rapport-bench-slack-${randomBytes(4).toString('hex')}}`;
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const openDb = () => openDatabase({ databaseUrl: scratch?.url, dataDir });
  const seeding = await openDb();
  await seed(seeding);
  await seeding.close();

  const port = await freePort();
  const bot = spawnRapport(
    ['start'],
    {
      RAPPORT_DATA_DIR: dataDir,
      DATABASE_URL: scratch?.url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RAPPORT_QUEUE_PREFIX: prefix,
      RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM`,
      // The backlog of acknowledged requests is finished before the counts are read.
      RAPPORT_SHUTDOWN_TIMEOUT_MS: '600000',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-bench-token',
      SLACK_API_URL: apiUrl,
      NODE_OPTIONS: process.env.RAPPORT_BENCH_BOT_NODE_OPTIONS,
      // Unset: the bot's default (auto: on in role all); "off" measures classification on the main thread.
      RAPPORT_CLASSIFY_THREAD: process.env.RAPPORT_CLASSIFY_THREAD,
      // Unset: the bot's default (auto: 0.5 in role all); "off" lets jobs start whatever the main thread's load.
      RAPPORT_JOBS_HEADROOM: process.env.RAPPORT_JOBS_HEADROOM,
      // Unset: the bot's default (0.75); "off" starts the work after an ack whatever the main thread's load.
      SLACK_WORK_HEADROOM: process.env.SLACK_WORK_HEADROOM,
      SLACK_BURST_RATE: process.env.SLACK_BURST_RATE,
    },
    {
      // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the bot's time goes.
      nodeArgs: process.env.RAPPORT_BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean),
    },
  );
  const barePort = await freePort();
  const bare = await startBareBolt(barePort);
  const base = `http://127.0.0.1:${port}`;
  const bareBase = `http://127.0.0.1:${barePort}`;
  const rows: RateRow[] = [];
  try {
    await waitForHttp(`${base}/readyz`, 180_000, bot);
    // Warm-up: Bolt's first auth.test, the classifier model, JIT; both apps.
    for (let i = 0; i < 20; i++) {
      for (const url of [base, bareBase]) {
        const body = commandBody(slack, `warm-${i}`, i);
        await (await postSigned(url, SECRET, body, 'application/x-www-form-urlencoded')).text();
      }
    }
    // The warm-up logs classified: on a new database the bot first builds its default model (seconds of
    // CPU, once per database), which is start-up, not the load measured here.
    if (scratch) {
      const db = await openDb();
      const since = Date.now();
      while (Date.now() - since < 120_000) {
        const n = await db.prisma.classification.count();
        if (n >= 20) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await db.close();
    }
    await new Promise((r) => setTimeout(r, 2_000));

    for (const rate of RATES) {
      // The bare run is the baseline only on a quiet machine: Rapport's work held back from the previous
      // rate (classification, suggestions, cards) runs after its acks, so wait until the bot is idle.
      const quiet = await untilQuiet(bot.child.pid);
      console.log(`[${kind}] ${rate}/s: bot quiet after ${quiet.toFixed(1)} s`);
      const loadBefore = load();
      const sendTo = (url: string, tag: string) => (i: number) => {
        const body = commandBody(slack, `bench-r${rate}-${tag}-${i}`, i);
        return (signal: AbortSignal) => postSigned(url, SECRET, body, 'application/x-www-form-urlencoded', {}, signal);
      };
      const bareCpuBefore = cpuMs(bare.pid);
      const bareRun = await openLoop(rate, SECONDS, sendTo(bareBase, 'bare'));
      const bareCpu = cpuMs(bare.pid) - bareCpuBefore;
      console.log(
        `${describeLoad(`[${kind}] ${rate}/s bare Bolt acks`, bareRun)}; bare Bolt CPU ${(bareCpu / bareRun.sent).toFixed(2)} ms per command`,
      );
      const cpuBefore = cpuMs(bot.child.pid);
      const mainBefore = cpuMs(bot.child.pid, true);
      await loopDelay(base); // prom-client restarts its event-loop delay histogram at each scrape
      const run = await openLoop(rate, SECONDS, sendTo(base, 'rapport'));
      const delay = await loopDelay(base);
      const cpuDuring = cpuMs(bot.child.pid) - cpuBefore;
      const mainDuring = cpuMs(bot.child.pid, true) - mainBefore;
      console.log(
        `${describeLoad(`[${kind}] ${rate}/s Rapport /crm log acks`, run)}; the bot's event-loop delay p50 ${delay.p50}, p99 ${delay.p99}, max ${delay.max}`,
      );
      // Acks are immediate; the logs themselves may still be queued behind them. How long until the last answer:
      const loadEnd = Date.now();
      const expected = run.ok - run.shed;
      const answered = () => slack.count(`respond/bench-r${rate}-rapport-`);
      while ((await answered()) < expected && Date.now() - loadEnd < 300_000)
        await new Promise((r) => setTimeout(r, 100));
      const drainSeconds = (Date.now() - loadEnd) / 1000;
      // Until the last answer: a bot that finishes its backlog after the load is charged for it too.
      const cpuDrained = cpuMs(bot.child.pid) - cpuBefore;
      const mainDrained = cpuMs(bot.child.pid, true) - mainBefore;
      console.log(
        `[${kind}] ${rate}/s: last /crm answer (response_url) ${drainSeconds.toFixed(1)} s after the last request; ${await answered()}/${expected} answered; bot CPU ${(cpuDuring / 1000).toFixed(1)} s over ${SECONDS} s (${(cpuDuring / run.sent).toFixed(2)} ms per command), of it on the main thread ${(mainDuring / 1000).toFixed(1)} s (${(mainDuring / run.sent).toFixed(2)} ms per command); until the last answer ${(cpuDrained / run.sent).toFixed(2)} ms per command, ${(mainDrained / run.sent).toFixed(2)} ms on the main thread; load average ${loadBefore} -> ${load()}`,
      );
      rows.push({ rate, bare: bareRun, rapport: run, loadBefore, loadAfter: load(), drainSeconds });
    }

    // Each event four times: the original and three retries, shuffled so retries overlap the original.
    const deliveries: Array<{ i: number; retry: number }> = [];
    for (let i = 0; i < EVENTS; i++) for (let retry = 0; retry < 4; retry++) deliveries.push({ i, retry });
    for (let k = deliveries.length - 1; k > 0; k--) {
      const j = Math.floor(Math.random() * (k + 1));
      [deliveries[k], deliveries[j]] = [deliveries[j], deliveries[k]];
    }
    const eventTs = (i: number) => `1763900000.${String(i).padStart(6, '0')}`;
    const events = await openLoop(EVENT_RATE, deliveries.length / EVENT_RATE, (n) => {
      const { i, retry } = deliveries[n];
      const threadTs = i % 3 === 0 ? undefined : eventTs(i - (i % 3)); // threads of three messages
      const body = eventCallbackBody(
        TEAM,
        {
          type: 'message',
          channel: CHANNEL,
          channel_type: 'channel',
          user: 'UGUEST',
          team: TEAM,
          text: `Message ${i}: the export is broken again`,
          ts: eventTs(i),
          ...(threadTs ? { thread_ts: threadTs } : {}),
        },
        `EvBench${i}`,
      );
      const headers: Record<string, string> =
        retry > 0 ? { 'X-Slack-Retry-Num': String(retry), 'X-Slack-Retry-Reason': 'http_timeout' } : {};
      return (signal) => postSigned(base, SECRET, body, 'application/json', headers, signal);
    });
    console.log(describeLoad(`[${kind}] message events x4`, events));
  } finally {
    const diedEarly = bot.child.exitCode !== null || bot.child.signalCode !== null;
    bot.child.kill('SIGTERM');
    const code = await bot.exited;
    // A bot that died (or stopped badly) explains a run of timeouts: say so, with its last words.
    if (diedEarly || code !== 0)
      console.log(
        `[${kind}] the bot ${diedEarly ? 'died during the run' : 'stopped'} with exit code ${code} (${bot.child.signalCode ?? 'no signal'}); its last output:\n${bot.output().slice(-3000)}`,
      );
    await bare.stop();
    // RAPPORT_BENCH_BOT_OUTPUT=<file>: everything the bot printed (e.g. with RAPPORT_BENCH_BOT_NODE_ARGS=--trace-gc).
    if (process.env.RAPPORT_BENCH_BOT_OUTPUT) writeFileSync(process.env.RAPPORT_BENCH_BOT_OUTPUT, bot.output());
  }

  // After the graceful shutdown every acknowledged request has been handled.
  const db = await openDb();
  for (const row of rows)
    row.written = await db.prisma.communicationRecord.count({
      where: { sourceKey: { startsWith: `slack:command:slack:T1:bench-r${row.rate}-rapport-` } },
    });
  const messages = await db.prisma.message.count({
    where: { externalId: { startsWith: `slack:${TEAM}/${CHANNEL}/1763900000.` } },
  });
  const distinct = await db.sql.query<{ n: number }>(
    `SELECT count(DISTINCT "externalId")::int AS n FROM "Message" WHERE "externalId" LIKE $1`,
    [`slack:${TEAM}/${CHANNEL}/1763900000.%`],
  );
  const records = await db.prisma.communicationRecord.count({
    where: { sourceKey: { startsWith: `slack:${TEAM}/${CHANNEL}/1763900000.` } },
  });
  const distinctThreads = Math.ceil(EVENTS / 3);
  await db.close();
  console.log(
    `[${kind}] message events ${EVENTS} x4 -> messages ${messages} (duplicates ${messages - distinct[0].n}, missing ${EVENTS - distinct[0].n}), thread records ${records}/${distinctThreads} (duplicates ${Math.max(0, records - distinctThreads)})`,
  );
  printTable(kind, rows);

  await slack.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await scratch?.drop();
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  return rows;
}

function printTable(kind: string, rows: RateRow[]): void {
  console.log(`\n[${kind}] /crm log acks, open loop ${SECONDS} s per rate, bare Bolt and Rapport side by side`);
  console.log(
    '| rate/s | bare p50 | bare p99 | bare timeouts | Rapport p50 | Rapport p99 | Rapport max | timeouts | errors | shed | logs written / acked in time | lost | p99 vs bare | answered after | load avg before -> after |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const bareP99 = pct(r.bare.latencies, 99);
    const p99 = pct(r.rapport.latencies, 99);
    const acked = r.rapport.ok - r.rapport.shed;
    // Lost: neither saved nor answered "busy" (a request that timed out may still have been saved).
    const lost = Math.max(0, r.rapport.sent - r.rapport.shed - (r.written ?? 0));
    console.log(
      `| ${r.rate} | ${ms(pct(r.bare.latencies, 50))} | ${ms(bareP99)} | ${r.bare.timeouts} | ${ms(pct(r.rapport.latencies, 50))} | ${ms(p99)} | ${ms(r.rapport.latencies[r.rapport.latencies.length - 1] ?? NaN)} | ${r.rapport.timeouts} | ${r.rapport.errors} | ${r.rapport.shed} | ${r.written}/${acked} | ${lost} | ${(p99 / bareP99).toFixed(2)}x | ${r.drainSeconds.toFixed(1)} s | ${r.loadBefore} -> ${r.loadAfter} |`,
    );
    if (r.rate === 500)
      console.log(
        `goal at 500/s (0 timeouts, 0 lost, p99 <= 5x bare and <= 100 ms): ${r.rapport.timeouts === 0 && r.rapport.errors === 0 && lost === 0 && p99 <= 5 * bareP99 && p99 <= 100 ? 'met' : 'NOT met'}`,
      );
  }
}

console.log(
  `bench:slack: /crm log at ${RATES.join(', ')} req/s for ${SECONDS} s each, bare Bolt side by side; ${EVENTS} message events x4; node ${process.version}; load average ${load()}`,
);
for (const kind of DATABASES) await runOn(kind);
