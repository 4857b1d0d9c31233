/**
 * Slack HTTP mode under load. Spawns `rapport start` (its own process, as in production) against the
 * local Slack recorder, then:
 *  1. baseline: GET /healthz at the same rate, the HTTP floor of this machine and process;
 *  2. load: correctly signed slash commands `/crm log acme "..."` at RAPPORT_BENCH_RATE requests/s
 *     (default 100) for RAPPORT_BENCH_SECONDS (default 30), open loop (each request leaves on its
 *     schedule whether or not earlier ones were answered, so a stall shows up in the latency);
 *     reports the HTTP 200 ack latency p50/p90/p99/max and errors, and how many logs were written;
 *  3. retries: RAPPORT_BENCH_EVENTS (default 300) message events in a linked channel, each delivered
 *     four times (the original and X-Slack-Retry-Num 1..3, interleaved), and counts duplicate
 *     records and messages (must be 0) and missing ones.
 * Counts are read from the database after a graceful shutdown, which finishes work Slack already got
 * an ack for. PGlite, then PostgreSQL (RAPPORT_BENCH_DATABASES=pglite to skip it).
 * RAPPORT_BENCH_BOT_NODE_OPTIONS is passed to the bot as NODE_OPTIONS (profiling).
 * Run: flock /tmp/rapport-bench.lock npm run bench:slack
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/open-database.ts';
import type { Database } from '../src/db/database.ts';
import { normalizeCompanyName } from '../src/domain/normalize-company-name.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { freePort, spawnRapport, waitForHttp } from '../test/helpers/spawn-rapport.ts';
import { SlackRecorder } from '../test/helpers/slack-recorder.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';
import { eventCallbackBody, postSignedToSlackEvents, slashCommandBody } from '../test/helpers/slack-requests.ts';

const RATE = Number(process.env.RAPPORT_BENCH_RATE ?? 100);
const SECONDS = Number(process.env.RAPPORT_BENCH_SECONDS ?? 30);
const BASELINE_SECONDS = Number(process.env.RAPPORT_BENCH_BASELINE_SECONDS ?? 10);
const EVENTS = Number(process.env.RAPPORT_BENCH_EVENTS ?? 300);
const DATABASES = (process.env.RAPPORT_BENCH_DATABASES ?? 'pglite,postgres').split(',').map((s) => s.trim()) as Array<
  'pglite' | 'postgres'
>;
const SECRET = 'bench-signing-secret-0123456789';
const TEAM = 'T1';
const CHANNEL = 'CACME';

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const ms = (x: number) => `${x.toFixed(1)} ms`;

interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  errorKinds: Map<string, number>;
  latencies: number[];
}

/** Sends `make(i)` every 1000/RATE ms for `seconds`, open loop; records each request's time to its answer. */
async function openLoop(seconds: number, make: (i: number) => () => Promise<Response>): Promise<LoadResult> {
  const total = Math.round(RATE * seconds);
  const interval = 1000 / RATE;
  const result: LoadResult = { sent: 0, ok: 0, errors: 0, errorKinds: new Map(), latencies: [] };
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
      send().then(
        async (res) => {
          await res.arrayBuffer();
          result.latencies.push(performance.now() - t0);
          if (res.status === 200) result.ok++;
          else {
            result.errors++;
            result.errorKinds.set(`HTTP ${res.status}`, (result.errorKinds.get(`HTTP ${res.status}`) ?? 0) + 1);
          }
        },
        (err: Error) => {
          result.errors++;
          result.errorKinds.set(err.message, (result.errorKinds.get(err.message) ?? 0) + 1);
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
  return `${label.padEnd(26)} sent ${r.sent}, 200 ${r.ok}, errors ${r.errors}${kinds ? ` (${kinds})` : ''}; latency p50 ${ms(pct(l, 50))}, p90 ${ms(pct(l, 90))}, p99 ${ms(pct(l, 99))}, max ${ms(l[l.length - 1] ?? NaN)}`;
}

async function seed(db: Database): Promise<void> {
  const acme = await db.prisma.company.create({
    data: { name: 'Acme', normalizedName: normalizeCompanyName('Acme'), domains: ['acme.com'] },
  });
  await db.prisma.channelLink.create({
    data: { platform: 'slack', channelRef: `${TEAM}/${CHANNEL}`, companyId: acme.id },
  });
}

async function runOn(kind: 'pglite' | 'postgres'): Promise<Record<string, number>> {
  const slack = new SlackRecorder();
  const apiUrl = await slack.start();
  slack.users.set('UGUEST', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.com' } });
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-slack-'));
  const prefix = `{rapport-bench-slack-${randomBytes(4).toString('hex')}}`;
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const openDb = () => openDatabase({ databaseUrl: scratch?.url, dataDir });
  const seeding = await openDb();
  await seed(seeding);
  await seeding.close();

  const port = await freePort();
  const bot = spawnRapport(['start'], {
    RAPPORT_DATA_DIR: dataDir,
    DATABASE_URL: scratch?.url,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RAPPORT_QUEUE_PREFIX: prefix,
    RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM`,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-bench-token',
    SLACK_API_URL: apiUrl,
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where the bot's time goes.
    NODE_OPTIONS: process.env.RAPPORT_BENCH_BOT_NODE_OPTIONS,
  });
  const base = `http://127.0.0.1:${port}`;
  const figures: Record<string, number> = {};
  try {
    await waitForHttp(`${base}/readyz`, 120_000, bot);
    // Warm-up: Bolt's first auth.test, the classifier model, JIT.
    for (let i = 0; i < 20; i++) {
      const body = slashCommandBody({
        teamId: TEAM,
        channelId: CHANNEL,
        userId: 'UREP',
        text: `log acme "warm-up ${i}"`,
        triggerId: `warm-${i}`,
        responseUrl: slack.responseUrl(`warm-${i}`),
      });
      await (await postSignedToSlackEvents(base, SECRET, body, 'application/x-www-form-urlencoded')).arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 2_000));

    const baseline = await openLoop(BASELINE_SECONDS, () => () => fetch(`${base}/healthz`));
    console.log(describeLoad(`[${kind}] baseline /healthz`, baseline));

    const cpuBefore = cpuMs(bot.child.pid);
    const commands = await openLoop(SECONDS, (i) => {
      const body = slashCommandBody({
        teamId: TEAM,
        channelId: CHANNEL,
        userId: `U${i % 20}`,
        text: `log acme "Call ${i}: they asked for a quote for ${10 + (i % 90)} seats by Friday"`,
        triggerId: `bench-${i}`,
        responseUrl: slack.responseUrl(`bench-${i}`),
      });
      return () => postSignedToSlackEvents(base, SECRET, body, 'application/x-www-form-urlencoded');
    });
    console.log(describeLoad(`[${kind}] /crm log acks`, commands));
    const cpuDuring = cpuMs(bot.child.pid) - cpuBefore;
    // Acks are immediate; the logs themselves may still be queued behind them. How long until the last answer:
    const loadEnd = Date.now();
    const answered = () => slack.calls.filter((c) => c.method.startsWith('respond/bench-')).length;
    while (answered() < commands.ok && Date.now() - loadEnd < 300_000) await new Promise((r) => setTimeout(r, 100));
    figures.drainSeconds = (Date.now() - loadEnd) / 1000;
    console.log(
      `[${kind}] last /crm answer (response_url) ${figures.drainSeconds.toFixed(1)} s after the last request; ${answered()}/${commands.ok} answered`,
    );
    console.log(
      `[${kind}] bot CPU during the load: ${(cpuDuring / 1000).toFixed(1)} s over ${SECONDS} s (${((cpuDuring / (SECONDS * 1000)) * 100).toFixed(0)}% of a core), ${(cpuDuring / commands.sent).toFixed(1)} ms per command incl. classification done meanwhile`,
    );
    figures.commandsSent = commands.sent;
    figures.commandErrors = commands.errors;
    figures.ackP50 = pct(commands.latencies, 50);
    figures.ackP99 = pct(commands.latencies, 99);
    figures.baselineP99 = pct(baseline.latencies, 99);

    // Each event four times: the original and three retries, shuffled so retries overlap the original.
    const deliveries: Array<{ i: number; retry: number }> = [];
    for (let i = 0; i < EVENTS; i++) for (let retry = 0; retry < 4; retry++) deliveries.push({ i, retry });
    for (let k = deliveries.length - 1; k > 0; k--) {
      const j = Math.floor(Math.random() * (k + 1));
      [deliveries[k], deliveries[j]] = [deliveries[j], deliveries[k]];
    }
    const eventTs = (i: number) => `1763900000.${String(i).padStart(6, '0')}`;
    const events = await openLoop(deliveries.length / RATE, (n) => {
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
      return () => postSignedToSlackEvents(base, SECRET, body, 'application/json', headers);
    });
    console.log(describeLoad(`[${kind}] message events x4`, events));
    figures.eventErrors = events.errors;
  } finally {
    bot.child.kill('SIGTERM');
    await bot.exited;
  }

  // After the graceful shutdown every acknowledged request has been handled.
  const db = await openDb();
  const logs = await db.prisma.communicationRecord.count({
    where: { sourceKey: { startsWith: 'slack:command:slack:T1:bench-' } },
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
  const answered = slack.calls.filter((c) => c.method.startsWith('respond/bench-')).length;
  figures.commandsLogged = logs;
  figures.duplicateMessages = messages - distinct[0].n;
  figures.missingMessages = EVENTS - distinct[0].n;
  figures.duplicateRecords = Math.max(0, records - distinctThreads);
  console.log(
    `[${kind}] after shutdown: /crm logs written ${logs}/${figures.commandsSent}, answered via response_url ${answered}; ` +
      `message events ${EVENTS} x4 -> messages ${messages} (duplicates ${figures.duplicateMessages}, missing ${figures.missingMessages}), thread records ${records}/${distinctThreads} (duplicates ${figures.duplicateRecords})`,
  );
  console.log(
    `[${kind}] ack p99 / baseline p99 = ${(figures.ackP99 / figures.baselineP99).toFixed(2)}x; target p99 <= 100 ms: ${figures.ackP99 <= 100 && figures.commandErrors === 0 && figures.eventErrors === 0 && figures.duplicateMessages === 0 && figures.duplicateRecords === 0 ? 'met' : 'NOT met'}`,
  );

  await slack.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await scratch?.drop();
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  return figures;
}

console.log(
  `bench:slack: ${RATE} req/s for ${SECONDS} s of /crm log, ${EVENTS} message events x4; node ${process.version}`,
);
for (const kind of DATABASES) await runOn(kind);
