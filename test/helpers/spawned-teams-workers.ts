import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { bullmqPipelineHooks } from '../../jobs/bullmq-pipeline-hooks.ts';
import { closeQueues, createQueues, type PipelineQueues } from '../../jobs/queues.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { createCustomer } from '../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from './spawn-rapport.ts';
import { TeamsRecorder } from './teams-recorder.ts';
import { createScratchPostgres } from './test-database.ts';

/**
 * Real `rapport start` worker processes (RAPPORT_ROLE=worker, Teams in Emulator mode) on one scratch
 * PostgreSQL, Redis prefix and data dir, with Teams' Bot Connector (and Graph) as a recorder; job locks
 * of 2 s, stalled jobs looked for every second, so a stopped or killed worker's job moves on quickly.
 */
export interface SpawnedTeamsWorkers {
  /** The test's own connection to the workers' database. */
  db: Database;
  databaseUrl: string;
  redis: Redis;
  /** The workers' queues, reached through the test's own connection. */
  queues: PipelineQueues;
  recorder: TeamsRecorder;
  /** Starts a worker (with `env` on top of the workers' own) and waits until it is ready. */
  start(env?: Record<string, string>): Promise<SpawnedRapport>;
  /**
   * Links Teams conversation `conversation` (`ref` on top of its conversation reference) with only our
   * own rep Jo in it, so the last-step guard lets cards through.
   */
  linkOursOnly(conversation: string, ref?: Record<string, unknown>): Promise<void>;
  /**
   * Customer `customer` (created) and one follow-up per entry, assigned to Jo, due in half a second, its
   * reminder card to the entry's conversation.
   */
  remindSoon(customer: string, reminders: Array<{ conversation: string; title: string }>): Promise<void>;
  /** Kills what still runs (a stopped one too), drops the database and the Redis keys, stops the recorder. */
  dispose(): Promise<void>;
}

const JO = { platform: 'teams' as const, platformUserId: 'aad-jo', displayName: 'Jo', timezone: 'UTC' };

export async function spawnedTeamsWorkers(name: string): Promise<SpawnedTeamsWorkers> {
  const prefix = `{rapport-${name}-${randomBytes(4).toString('hex')}}`;
  const dir = mkdtempSync(join(tmpdir(), `rapport-${name}-`));
  const scratch = await createScratchPostgres();
  const db = await openDatabase({ databaseUrl: scratch.url });
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const queues = createQueues(redis, prefix);
  const recorder = await new TeamsRecorder().start();
  const started: SpawnedRapport[] = [];
  return {
    db,
    databaseUrl: scratch.url,
    redis,
    queues,
    recorder,
    async start(env) {
      const port = await freePort();
      const proc = spawnRapport(['start'], {
        RAPPORT_ROLE: 'worker',
        DATABASE_URL: scratch.url,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        RAPPORT_QUEUE_PREFIX: prefix,
        TEAMS_ENABLED: 'true',
        MICROSOFT_APP_TENANT_ID: 'tenant-1',
        PORT: String(port),
        RAPPORT_DATA_DIR: dir,
        RAPPORT_JOB_LOCK_MS: '2000',
        RAPPORT_STALLED_INTERVAL_MS: '1000',
        LOG_LEVEL: 'warn',
        ...env,
      });
      started.push(proc);
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 180_000, proc); // a loaded 2-core machine takes its time
      return proc;
    },
    async linkOursOnly(conversation, ref = {}) {
      await db.prisma.channelLink.create({
        data: {
          platform: 'teams',
          channelRef: conversation,
          conversationRef: {
            serviceUrl: recorder.url,
            channelId: 'msteams',
            conversation: { id: conversation, tenantId: 'tenant-1' },
            ...ref,
          },
        },
      });
      recorder.setMembers(conversation, [
        { id: '29:jo', name: 'Jo', aadObjectId: 'aad-jo', tenantId: 'tenant-1', userRole: 'user' },
      ]);
    },
    async remindSoon(customer, reminders) {
      const rep = await findOrCreateRep(db.prisma, JO);
      const audit = { repId: rep.id, platform: 'teams' };
      const company = await createCustomer(db.prisma, customer, audit);
      for (const { conversation, title } of reminders)
        await createFollowUp(
          db,
          {
            companyId: company.id,
            title,
            dueAt: new Date(Date.now() + 500),
            assigneeRepId: rep.id,
            actor: audit,
            fallbackRemindTarget: `teams:${conversation}`,
          },
          bullmqPipelineHooks(db, redis, queues),
        );
    },
    async dispose() {
      recorder.releaseHeld();
      for (const p of started) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGCONT');
          p.child.kill('SIGKILL');
        }
      }
      await Promise.all(started.map((p) => p.exited));
      await closeQueues(queues);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await db.close();
      await scratch.drop();
      await recorder.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
