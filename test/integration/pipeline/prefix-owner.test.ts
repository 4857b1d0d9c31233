import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { PrefixOwner } from '../../../jobs/prefix-owner.ts';

// The prefix's owner key is deleted under a claim the way production deletes it: FLUSHALL from an
// operator, or its TTL running out, at any moment between two commands of a claim. A web process
// started at that moment refused itself as "another deployment (install unknown)" and exited.
const prefix = `{rapport-owner-${randomBytes(4).toString('hex')}}`;
let a: ReturnType<typeof connectRedis>;
let b: ReturnType<typeof connectRedis>;

beforeAll(() => {
  a = connectRedis('redis://127.0.0.1:6379');
  b = connectRedis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  await a.del(`${prefix}:rapport:install`);
  await a.quit();
  await b.quit();
});

describe('PrefixOwner', () => {
  it('never takes an owner key deleted under its claim for another deployment', async () => {
    const owner = new PrefixOwner(a, prefix, 'install-a');
    let stop = false;
    let deletes = 0;
    const deleter = (async () => {
      while (!stop) {
        await b.del(owner.key);
        deletes++;
      }
    })();
    const refused: string[] = [];
    try {
      for (let i = 0; i < 3_000; i++) await owner.claim().catch((err: Error) => refused.push(err.message));
    } finally {
      stop = true;
      await deleter;
    }
    expect(deletes).toBeGreaterThan(100);
    expect({ refused: refused.length, first: refused[0] }).toEqual({ refused: 0, first: undefined });
    // And after a claim the key is ours, with its TTL.
    await owner.claim();
    expect(await a.get(owner.key)).toBe('install-a');
    expect(await a.pttl(owner.key)).toBeGreaterThan(50_000);
  });

  it('still refuses a prefix another deployment holds, naming it, and says whose it is', async () => {
    const ours = new PrefixOwner(a, prefix, 'install-a');
    const theirs = new PrefixOwner(b, prefix, 'install-b');
    await a.del(ours.key);
    await theirs.claim();
    await expect(ours.claim()).rejects.toThrow(/belongs to another Rapport deployment \(install install-b/);
    expect(await ours.check()).toEqual({ state: 'foreign', owner: 'install-b' });
    expect(await a.get(ours.key)).toBe('install-b');
    await a.del(ours.key);
    expect(await ours.check()).toEqual({ state: 'lost' });
    await ours.claim();
    expect(await ours.check()).toEqual({ state: 'ours' });
  });
});
