import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { ConsoleFeedEntry } from '../../connectors/console/console-feed.ts';
import { SharedConsoleConnector } from '../../connectors/console/shared-console.connector.ts';
import { closeQueues, createQueues, type PipelineQueues } from '../../jobs/queues.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { type PrivateRedis, startPrivateRedis } from '../../src/redis/private-redis-server.ts';
import { freePort, type SpawnedRapport } from './spawn-rapport.ts';
import { createScratchPostgres } from './test-database.ts';

/** What the worker fault tests share, set up before their tests and torn down after. */
export interface WorkerFaultFixture {
  /** The private redis-server's directory (also the workers' data dir). */
  dir: string;
  /** Its port: a test that restarts Redis starts the new one here and puts it in `redis`. */
  port: number;
  redis: PrivateRedis;
  scratch: { url: string; drop(): Promise<void> };
  /** The test's own connection to the scratch database (the "other side" writing follow-ups). */
  db: Database;
  client: Redis;
  queues: PipelineQueues;
  /** The shared console feed the workers post to; `seen` holds every post by its id. */
  feed: SharedConsoleConnector;
  seen: Map<string, ConsoleFeedEntry>;
  /** Worker processes the test spawned: killed at the end (continued first, in case one is stopped). */
  workers: SpawnedRapport[];
  /** Every post seen live, plus what the feed holds in Redis now (posts made while the subscriber reconnected). */
  allPosts(): Promise<ConsoleFeedEntry[]>;
}

/**
 * A private redis-server (FLUSHALL and restarts touch nobody else), a scratch PostgreSQL database, the
 * pipeline's queues and the shared console feed on them, for tests that fault real worker processes.
 * Registers its own beforeAll and afterAll; the fields are there once the file's tests run.
 */
export function workerFaultFixture(name: string): WorkerFaultFixture {
  const fx = {
    seen: new Map<string, ConsoleFeedEntry>(),
    workers: [] as SpawnedRapport[],
    async allPosts() {
      const raw = await fx.client.hvals('{rapport}:console:{feed}:entries').catch(() => [] as string[]);
      const byId = new Map(fx.seen);
      for (const r of raw) {
        const e = JSON.parse(r) as ConsoleFeedEntry;
        if (!byId.has(e.externalId)) byId.set(e.externalId, e);
      }
      return [...byId.values()];
    },
  } as WorkerFaultFixture;
  beforeAll(async () => {
    fx.dir = mkdtempSync(join(tmpdir(), `rapport-${name}-`));
    fx.port = await freePort();
    fx.redis = await startPrivateRedis(fx.dir, { port: fx.port });
    fx.scratch = await createScratchPostgres();
    fx.db = await openDatabase({ databaseUrl: fx.scratch.url });
    fx.client = connectRedis(fx.redis.url);
    fx.client.on('error', () => {});
    fx.queues = createQueues(fx.client, '{rapport}');
    for (const q of Object.values(fx.queues)) q.on('error', () => {}); // reconnects on its own while Redis restarts
    fx.feed = new SharedConsoleConnector(fx.client, '{rapport}', 1_000);
    await fx.feed.follow();
    fx.feed.subscribe((e) => {
      if (e.type === 'post') fx.seen.set(e.entry.externalId, e.entry);
    });
  });
  afterAll(async () => {
    for (const w of fx.workers)
      if (w.child.exitCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill('SIGKILL');
      }
    await fx.feed?.stop();
    if (fx.queues) await closeQueues(fx.queues);
    fx.client?.disconnect();
    await fx.db?.close();
    await fx.scratch?.drop();
    await fx.redis?.stop();
    if (fx.dir) rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}
