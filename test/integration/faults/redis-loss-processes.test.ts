import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { logCommunication } from '../../../src/services/log-communication.service.ts';
import type { ConsoleFeedEntry } from '../../../connectors/console/console-feed.ts';
import { SharedConsoleConnector } from '../../../connectors/console/shared-console.connector.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually, eventually as waitFor } from '../../helpers/pipeline-harness.ts';

// Issue 15 item 1-3 the way it failed: real worker processes, a private Redis emptied by FLUSHALL and
// then restarted (no persistence) under them, no worker restart.
let port: number;
let redis: PrivateRedis;
let dir: string;
let scratch: { url: string; drop(): Promise<void> };
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let feed: SharedConsoleConnector;
const seen = new Map<string, ConsoleFeedEntry>();
const workers: SpawnedRapport[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-loss-'));
  port = await freePort();
  redis = await startPrivateRedis(dir, { port });
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  client = connectRedis(redis.url);
  client.on('error', () => {});
  queues = createQueues(client, '{rapport}');
  for (const q of Object.values(queues)) q.on('error', () => {}); // reconnects on its own while Redis restarts
  feed = new SharedConsoleConnector(client, '{rapport}', 1_000);
  await feed.follow();
  feed.subscribe((e) => {
    if (e.type === 'post') seen.set(e.entry.externalId, e.entry);
  });
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await feed.stop();
  await closeQueues(queues);
  client.disconnect();
  await db.close();
  await scratch.drop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(role = 'worker', readyPath = '/readyz'): Promise<SpawnedRapport> {
  const httpPort = await freePort();
  const proc = spawnRapport(['start'], {
    RAPPORT_ROLE: role,
    DATABASE_URL: scratch.url,
    REDIS_URL: redis.url,
    PORT: String(httpPort),
    RAPPORT_DATA_DIR: dir,
    RAPPORT_JOB_LOCK_MS: '5000',
    RAPPORT_STALLED_INTERVAL_MS: '1000',
    RAPPORT_REDIS_CHECK_SECONDS: '1',
    // The periodic reconcile must not be what saves the day: it is an hour away.
    RAPPORT_RECONCILE_SECONDS: '3600',
    LOG_LEVEL: 'warn',
  });
  workers.push(proc);
  await waitForHttp(`http://127.0.0.1:${httpPort}${readyPath}`, 180_000, proc); // a loaded 2-core machine takes its time
  return proc;
}

/** Every post seen live, plus what the feed holds in Redis now (posts made while this test's subscriber reconnected). */
async function allPosts(): Promise<ConsoleFeedEntry[]> {
  const raw = await client.hvals('{rapport}:console:{feed}:entries').catch(() => [] as string[]);
  const byId = new Map(seen);
  for (const r of raw) {
    const e = JSON.parse(r) as ConsoleFeedEntry;
    if (!byId.has(e.externalId)) byId.set(e.externalId, e);
  }
  return [...byId.values()];
}

const COMPLAINT = 'Our invoices are wrong again and nobody answers, this is unacceptable';

describe('Redis loss under running worker processes', () => {
  it('FLUSHALL and then a Redis restart, no worker restart: every reminder fires once, every message is classified, every card is posted once', async () => {
    // Its own two workers: the web-process test may have run first (tests shuffle) and left its process in `workers`.
    const mine = await Promise.all([startWorker(), startWorker()]);
    const pids = mine.map((w) => w.child.pid);
    const hooks = bullmqPipelineHooks(db, client, queues);
    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const umbrella = await createCustomer(db.prisma, 'Umbrella', audit);
    const start = Date.now();
    for (let i = 0; i < 30; i++)
      await createFollowUp(
        db,
        {
          companyId: umbrella.id,
          title: `Call ${i}`,
          dueAt: new Date(start + 8_000 + i * 400),
          assigneeRepId: rep.id,
          actor: audit,
          fallbackRemindTarget: 'console:team',
        },
        hooks,
      );
    let logged = 0;
    const logSome = async (n: number) => {
      for (let i = 0; i < n; i++, logged++) {
        const company = await createCustomer(db.prisma, `Customer ${logged}`, audit);
        await logCommunication(
          db,
          {
            companyId: company.id,
            text: COMPLAINT,
            occurredAt: new Date(),
            sourceKey: `loss-${logged}`,
            repId: rep.id,
            repName: rep.name,
            actor: audit,
          },
          hooks,
        );
      }
    };
    await logSome(10);
    await client.flushall(); // the reminders, the classify jobs not yet taken, the reconciler's own schedule
    await logSome(10);
    await new Promise((r) => setTimeout(r, Math.max(0, start + 9_000 - Date.now())));
    await redis.stop(); // no persistence: everything in it is gone, with reminders falling due meanwhile
    await new Promise((r) => setTimeout(r, 3_000));
    redis = await startPrivateRedis(dir, { port });
    await eventually('the clients to reconnect', async () => (await client.ping().catch(() => '')) === 'PONG', 20_000);
    await logSome(10);

    const reminders = async () =>
      (await allPosts()).filter((e) => e.reply.title?.startsWith('Reminder')).map((e) => e.reply.sections?.[0]?.title);
    const suggestionCards = async () =>
      (await allPosts()).filter((e) => e.reply.title?.startsWith('Suggested')).map((e) => e.reply.fields?.[0]?.value);
    await eventually('30 reminders', async () => new Set(await reminders()).size >= 30, 120_000);
    await eventually(
      'all 30 messages classified',
      async () => (await db.prisma.classification.count()) === 30,
      120_000,
    );
    const suggested = await db.prisma.followUp.count({ where: { source: 'suggested' } });
    expect(suggested).toBe(30);
    await eventually('30 suggestion cards', async () => new Set(await suggestionCards()).size >= 30, 120_000);
    await new Promise((r) => setTimeout(r, 3_000)); // time for a double post to show

    const r = await reminders();
    expect(r.length).toBe(30);
    expect(new Set(r).size).toBe(30);
    const s = await suggestionCards();
    expect(s.length).toBe(30);
    expect(new Set(s).size).toBe(30);
    expect(await db.prisma.delivery.count({ where: { status: 'sent' } })).toBe(60);
    // Nobody restarted a worker.
    expect(mine.map((w) => w.child.exitCode)).toEqual([null, null]);
    expect(mine.map((w) => w.child.pid)).toEqual(pids);
    for (const w of mine) w.child.kill('SIGTERM');
    for (const w of mine) expect([0, null]).toContain(await w.exited);
  }, 400_000);

  it('a web process alone re-arms the reconciler after FLUSHALL (its workers may all be restarting)', async () => {
    // Alive is enough: its readiness also waits for things this test does not run (no worker answers).
    const web = await startWorker('web', '/healthz');
    const reconcile = queues[QueueName.ReconcileSchedules];
    // A wait that times out says what the web process logged (LOG_LEVEL=warn: the keeper's warnings).
    const eventually = <T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs?: number) =>
      waitFor(what, check, timeoutMs).catch((err: Error) => {
        throw new Error(`${err.message}; the web process printed:\n${web.output()}`);
      });
    await client.del('{rapport}:rapport:install');
    await eventually(
      'the web process to claim the prefix',
      async () => {
        // A process that refused itself (e.g. the key deleted under its claim) would never claim.
        if (web.child.exitCode !== null) throw new Error(`the web process exited:\n${web.output()}`);
        return (await client.get('{rapport}:rapport:install')) !== null;
      },
      60_000,
    );
    // (No look in between: the web process may re-arm within a second of the flush, before we could.)
    await client.flushall();
    // Looked for every second (RAPPORT_REDIS_CHECK_SECONDS=1); the bound is generous because a busy CI
    // machine can hold a young process's event loop for many seconds (its first model build).
    await eventually(
      'the schedule re-armed',
      async () => (await reconcile.getJobScheduler('reconcile')) !== undefined,
      120_000,
    );
    // And one reconcile of everything is waiting for the first worker that comes.
    await eventually('one reconcile of everything queued for the first worker that comes', async () =>
      (await reconcile.getJobs(['waiting', 'delayed', 'prioritized'])).some((j) => j.data.afterLoss === true),
    );
    // The prefix is claimed again too (its own step of the re-arm: it may come a moment after the schedule).
    await eventually('the prefix claimed again', async () =>
      /^[0-9a-f-]{36}$/.test((await client.get('{rapport}:rapport:install')) ?? ''),
    );
    web.child.kill('SIGTERM');
    expect([0, null]).toContain(await web.exited);
  }, 300_000);
});
