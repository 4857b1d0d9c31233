import { describe, expect, it } from 'vitest';
import { workerFaultFixture } from '../../helpers/worker-faults.ts';
import { startPrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { logCommunication } from '../../../src/services/log-communication.service.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually, eventually as waitFor } from '../../helpers/pipeline-harness.ts';

const fx = workerFaultFixture('redis-loss');

// Issue 15 item 1-3 the way it failed: real worker processes, a private Redis emptied by FLUSHALL and
// then restarted (no persistence) under them, no worker restart.

async function startWorker(role = 'worker', readyPath = '/readyz'): Promise<SpawnedRapport> {
  const httpPort = await freePort();
  const proc = spawnRapport(['start'], {
    RAPPORT_ROLE: role,
    DATABASE_URL: fx.scratch.url,
    REDIS_URL: fx.redis.url,
    PORT: String(httpPort),
    RAPPORT_DATA_DIR: fx.dir,
    RAPPORT_JOB_LOCK_MS: '5000',
    RAPPORT_STALLED_INTERVAL_MS: '1000',
    RAPPORT_REDIS_CHECK_SECONDS: '1',
    // The periodic reconcile must not be what saves the day: it is an hour away.
    RAPPORT_RECONCILE_SECONDS: '3600',
    LOG_LEVEL: 'warn',
  });
  fx.workers.push(proc);
  await waitForHttp(`http://127.0.0.1:${httpPort}${readyPath}`, 180_000, proc); // a loaded 2-core machine takes its time
  return proc;
}

const COMPLAINT = 'Our invoices are wrong again and nobody answers, this is unacceptable';

describe('Redis loss under running worker processes', () => {
  it('FLUSHALL and then a Redis restart, no worker restart: every reminder fires once, every message is classified, every card is posted once', async () => {
    // Its own two workers: the web-process test may have run first (tests shuffle) and left its process in `workers`.
    const mine = await Promise.all([startWorker(), startWorker()]);
    const pids = mine.map((w) => w.child.pid);
    const hooks = bullmqPipelineHooks(fx.db, fx.client, fx.queues);
    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(fx.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const umbrella = await createCustomer(fx.db.prisma, 'Umbrella', audit);
    const start = Date.now();
    for (let i = 0; i < 30; i++)
      await createFollowUp(
        fx.db,
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
        const company = await createCustomer(fx.db.prisma, `Customer ${logged}`, audit);
        await logCommunication(
          fx.db,
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
    await fx.client.flushall(); // the reminders, the classify jobs not yet taken, the reconciler's own schedule
    await logSome(10);
    await new Promise((r) => setTimeout(r, Math.max(0, start + 9_000 - Date.now())));
    await fx.redis.stop(); // no persistence: everything in it is gone, with reminders falling due meanwhile
    await new Promise((r) => setTimeout(r, 3_000));
    fx.redis = await startPrivateRedis(fx.dir, { port: fx.port });
    await eventually(
      'the clients to reconnect',
      async () => (await fx.client.ping().catch(() => '')) === 'PONG',
      20_000,
    );
    await logSome(10);

    const reminders = async () =>
      (await fx.allPosts())
        .filter((e) => e.reply.title?.startsWith('Reminder'))
        .map((e) => e.reply.sections?.[0]?.title);
    const suggestionCards = async () =>
      (await fx.allPosts())
        .filter((e) => e.reply.title?.startsWith('Suggested'))
        .map((e) => e.reply.fields?.[0]?.value);
    await eventually('30 reminders', async () => new Set(await reminders()).size >= 30, 120_000);
    await eventually(
      'all 30 messages classified',
      async () => (await fx.db.prisma.classification.count()) === 30,
      120_000,
    );
    const suggested = await fx.db.prisma.followUp.count({ where: { source: 'suggested' } });
    expect(suggested).toBe(30);
    await eventually('30 suggestion cards', async () => new Set(await suggestionCards()).size >= 30, 120_000);
    await new Promise((r) => setTimeout(r, 3_000)); // time for a double post to show

    const r = await reminders();
    expect(r.length).toBe(30);
    expect(new Set(r).size).toBe(30);
    const s = await suggestionCards();
    expect(s.length).toBe(30);
    expect(new Set(s).size).toBe(30);
    expect(await fx.db.prisma.delivery.count({ where: { status: 'sent' } })).toBe(60);
    // Nobody restarted a worker.
    expect(mine.map((w) => w.child.exitCode)).toEqual([null, null]);
    expect(mine.map((w) => w.child.pid)).toEqual(pids);
    for (const w of mine) w.child.kill('SIGTERM');
    for (const w of mine) expect([0, null]).toContain(await w.exited);
  }, 400_000);

  it('a web process alone re-arms the reconciler after FLUSHALL (its workers may all be restarting)', async () => {
    // Alive is enough: its readiness also waits for things this test does not run (no worker answers).
    const web = await startWorker('web', '/healthz');
    const reconcile = fx.queues[QueueName.ReconcileSchedules];
    // A wait that times out says what the web process logged (LOG_LEVEL=warn: the keeper's warnings).
    const eventually = <T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs?: number) =>
      waitFor(what, check, timeoutMs).catch((err: Error) => {
        throw new Error(`${err.message}; the web process printed:\n${web.output()}`);
      });
    await fx.client.del('{rapport}:rapport:install');
    await eventually(
      'the web process to claim the prefix',
      async () => {
        // A process that refused itself (e.g. the key deleted under its claim) would never claim.
        if (web.child.exitCode !== null) throw new Error(`the web process exited:\n${web.output()}`);
        return (await fx.client.get('{rapport}:rapport:install')) !== null;
      },
      60_000,
    );
    // (No look in between: the web process may re-arm within a second of the flush, before we could.)
    await fx.client.flushall();
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
      /^[0-9a-f-]{36}$/.test((await fx.client.get('{rapport}:rapport:install')) ?? ''),
    );
    web.child.kill('SIGTERM');
    expect([0, null]).toContain(await web.exited);
  }, 300_000);
});
