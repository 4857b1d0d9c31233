import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';

// Two deployments (two databases) pointed at one Redis prefix: the first one's; the second is refused.
// The shared Redis is fine here: the prefix is this test's own and nothing is flushed.
const prefix = `{rapport-shared-${randomBytes(4).toString('hex')}}`;
const redisUrl = 'redis://127.0.0.1:6379';
let dir: string;
const databases: Array<{ url: string; drop(): Promise<void> }> = [];
const procs: SpawnedRapport[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-prefix-'));
  databases.push(await createScratchPostgres(), await createScratchPostgres());
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const d of databases) await d.drop();
  const redis = connectRedis(redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

function env(databaseUrl: string, port: number) {
  return {
    RAPPORT_ROLE: 'worker',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    RAPPORT_QUEUE_PREFIX: prefix,
    PORT: String(port),
    RAPPORT_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
  };
}

describe('a Redis key prefix belongs to one deployment', () => {
  it('a second database on the same prefix refuses to start with a sentence naming RAPPORT_QUEUE_PREFIX, and doctor says so', async () => {
    const firstPort = await freePort();
    const first = spawnRapport(['start'], env(databases[0].url, firstPort));
    procs.push(first);
    await waitForHttp(`http://127.0.0.1:${firstPort}/readyz`, 180_000, first);

    // Another process of the same deployment is welcome.
    const samePort = await freePort();
    const same = spawnRapport(['start'], env(databases[0].url, samePort));
    procs.push(same);
    await waitForHttp(`http://127.0.0.1:${samePort}/readyz`, 180_000, same);

    const second = spawnRapport(['start'], env(databases[1].url, await freePort()));
    procs.push(second);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toContain(`The Redis key prefix "${prefix}" belongs to another Rapport deployment`);
    expect(second.output()).toContain('RAPPORT_QUEUE_PREFIX');

    const doctor = spawnRapport(['doctor'], env(databases[1].url, await freePort()));
    expect(await doctor.exited).toBe(1);
    expect(doctor.output()).toMatch(/✘ redis prefix: .*belongs to another Rapport deployment/);
    const doctorOwn = spawnRapport(['doctor'], env(databases[0].url, await freePort()));
    await doctorOwn.exited;
    expect(doctorOwn.output()).toMatch(/✔ redis prefix: .*is this deployment's/);

    // The first deployment kept running throughout.
    expect((await fetch(`http://127.0.0.1:${firstPort}/readyz`)).status).toBe(200);
    for (const p of [first, same]) p.child.kill('SIGTERM');
    for (const p of [first, same]) expect([0, null]).toContain(await p.exited);
  }, 400_000);
});
