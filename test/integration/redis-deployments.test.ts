import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnRapport, waitForHttp } from '../helpers/spawn-rapport.ts';
import { createScratchPostgres } from '../helpers/test-database.ts';
import {
  startRedisCluster,
  startRedisSentinel,
  startTlsRedis,
  type RedisTopology,
} from '../helpers/redis-topologies.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await read();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/**
 * A real `rapport start` (role all: HTTP, console, BullMQ queues and workers) against the Redis a
 * managed service would give: a typed log is queued, classified by the worker (BullMQ's Lua scripts
 * and blocking reads), its suggestion posted to the console's team channel (the per-channel rate
 * limiter's script, the feed's MULTI and pub/sub).
 */
async function logClassifyAndPost(topology: RedisTopology): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-redis-kind-'));
  dirs.push(dataDir);
  const scratch = await createScratchPostgres();
  const port = await freePort();
  const bot = spawnRapport(['start'], {
    RAPPORT_DATA_DIR: dataDir,
    DATABASE_URL: scratch.url,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    REDIS_URL: topology.url,
    RAPPORT_PRIVATE_REDIS: 'never',
    ...topology.env,
  });
  const db = new pg.Client({ connectionString: scratch.url });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 180_000, bot);
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
      checks: Record<string, { ok: boolean }>;
    };
    expect(ready.checks.redis.ok).toBe(true);
    const res = await fetch(`http://127.0.0.1:${port}/api/command`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        text: 'log Globex "They want a quote for 40 more seats, budget approved" --new',
        user: 'jo',
      }),
    });
    const reply = (await res.json()) as { tone: string; text: string };
    expect(res.status).toBe(200);
    expect(reply.text).not.toContain('delayed');
    await db.connect();
    const label = await poll('classification', async () => {
      const rows = await db.query<{ label: string }>('SELECT label FROM "Classification" LIMIT 1');
      return rows.rows[0]?.label;
    });
    expect(label).toBeTruthy();
    // The classification's suggestion goes to the default channel (the console's team channel):
    // the delivery queue, the per-channel rate limiter's script, the feed's MULTI and pub/sub.
    const suggested = await poll('the suggestion', async () => {
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "FollowUp"`);
      return rows.rows[0].n > 0 ? rows.rows[0].n : undefined;
    });
    expect(suggested).toBe(1);
    const posted = await poll('the suggestion card posted', async () => {
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Delivery" WHERE status = 'sent'`);
      return rows.rows[0].n > 0 ? rows.rows[0].n : undefined;
    });
    expect(posted).toBe(1);
    const feed = await fetch(`http://127.0.0.1:${port}/api/channel/stream`);
    const reader = feed.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(first).toMatch(/event: snapshot\ndata: \[.*Globex/);
    expect(bot.output()).not.toMatch(/CROSSSLOT|MOVED|ERR /);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
  } finally {
    if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    await db.end().catch(() => {});
    await scratch.drop();
  }
}

describe('managed Redis as users run it (real servers, real rapport process)', () => {
  it('Redis Cluster (3 primaries, redis+cluster://): logs are classified and suggestions posted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-cluster-'));
    dirs.push(dir);
    const cluster = await startRedisCluster(dir);
    try {
      await logClassifyAndPost(cluster);
    } finally {
      await cluster.stop();
    }
  }, 360_000);

  it('Redis Sentinel (redis+sentinel://host:port/mymaster): the same, through the primary the sentinel names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-sentinel-'));
    dirs.push(dir);
    const sentinel = await startRedisSentinel(dir);
    try {
      await logClassifyAndPost(sentinel);
    } finally {
      await sentinel.stop();
    }
  }, 360_000);

  it('TLS (rediss://, a self-signed certificate trusted through NODE_EXTRA_CA_CERTS): the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-tls-'));
    dirs.push(dir);
    const tls = await startTlsRedis(dir);
    try {
      await logClassifyAndPost(tls);
    } finally {
      await tls.stop();
    }
  }, 360_000);
});
