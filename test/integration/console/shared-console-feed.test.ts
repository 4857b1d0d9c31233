import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { SharedConsoleConnector } from '../../../connectors/console/shared-console.connector.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';

const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `{rapport-test-${randomBytes(4).toString('hex')}}`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('shared console feed (real Redis)', () => {
  it('a retried post with the same idempotency key finds the first message instead of posting again', async () => {
    const feed = new SharedConsoleConnector(redis, `${prefix}:a`, 5);
    const first = await feed.post('console:team', { text: 'Reminder: call Acme' }, { idempotencyKey: 'reminder:1' });
    const again = await feed.post('console:team', { text: 'Reminder: call Acme' }, { idempotencyKey: 'reminder:1' });
    expect(again.externalId).toBe(first.externalId);
    expect(await redis.llen(`${prefix}:a:console:{feed}:order`)).toBe(1);
  });

  it('trimming old messages also forgets their idempotency keys, so neither hash grows without bound', async () => {
    const keep = 5;
    const feed = new SharedConsoleConnector(redis, `${prefix}:b`, keep);
    const base = `${prefix}:b:console:{feed}`;
    for (let i = 0; i < 40; i++) await feed.post('console:team', { text: `message ${i}` }, { idempotencyKey: `k${i}` });
    expect(await redis.hlen(`${base}:entries`)).toBeLessThanOrEqual(keep * 2 + 1);
    expect(await redis.hlen(`${base}:keys`)).toBeLessThanOrEqual(keep * 2 + 1);
    expect(await feed.findPosted('console:team', 'k0')).toBeUndefined();
    const newest = await feed.findPosted('console:team', 'k39');
    expect(newest).toBeDefined();
    expect(await redis.hget(`${base}:entries`, newest!.externalId)).toContain('message 39');
  });

  it('trims down to `keep` at once, and two processes trimming together leave no orphaned entries or keys', async () => {
    const keep = 5;
    const base = `${prefix}:c:console:{feed}`;
    const feeds = [
      new SharedConsoleConnector(redis, `${prefix}:c`, keep),
      new SharedConsoleConnector(redis, `${prefix}:c`, keep),
    ];
    for (let i = 0; i <= keep * 2; i++)
      await feeds[0].post('console:team', { text: `message ${i}` }, { idempotencyKey: `s${i}` });
    expect(await redis.llen(`${base}:order`)).toBe(keep); // the 11th post trimmed six at once
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        feeds[i % 2].post('console:team', { text: `message ${i}` }, { idempotencyKey: `p${i}` }),
      ),
    );
    const length = await redis.llen(`${base}:order`);
    expect(length).toBeGreaterThanOrEqual(keep);
    expect(length).toBeLessThanOrEqual(keep * 2);
    expect(await redis.hlen(`${base}:entries`)).toBe(length);
    expect(await redis.hlen(`${base}:keys`)).toBe(length);
  });

  it('answers each post of a concurrent burst on its own, and reloads its script into a Redis that lost it (SCRIPT FLUSH, restart)', async () => {
    // A private Redis: SCRIPT FLUSH must not disturb other tests' scripts.
    const dir = mkdtempSync(join(tmpdir(), 'rapport-feed-'));
    const own = await startPrivateRedis(dir);
    const client = connectRedis(own.url);
    try {
      const feed = new SharedConsoleConnector(client, '{feed-test}', 50);
      const burst = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          feed.post('console:team', { text: `reminder ${i}` }, { idempotencyKey: `r${i}` }),
        ),
      );
      expect(new Set(burst.map((p) => p.externalId)).size).toBe(10);
      await client.script('FLUSH');
      const [again, fresh] = await Promise.all([
        feed.post('console:team', { text: 'reminder 3' }, { idempotencyKey: 'r3' }),
        feed.post('console:team', { text: 'reminder 10' }, { idempotencyKey: 'r10' }),
      ]);
      expect(again.externalId).toBe(burst[3].externalId);
      expect(fresh.externalId).not.toBe(again.externalId);
      expect(await client.llen('{feed-test}:console:{feed}:order')).toBe(11);
      await expect(feed.post('slack:T1/C1', { text: 'not mine' })).rejects.toThrow();
    } finally {
      await client.quit();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
