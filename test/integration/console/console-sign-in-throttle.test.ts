import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createLogger } from '../../../src/logger.ts';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { sealValue } from '../../../connectors/console/console-session.ts';
import { DEVICE_COOKIE_MS } from '../../../connectors/console/device-cookie.ts';
import { startConsoleServer, type ConsoleServer, type ConsoleServerOptions } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

const attempt = (app: ConsoleServer, username: string, password: string, accept = 'text/html', forwardedFor?: string) =>
  fetch(`${app.base}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: accept,
      ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}),
    },
    body: new URLSearchParams({ username, password, next: '/console' }),
  });

/** A password sign-in from `address` (X-Forwarded-For) carrying `cookie` (a Cookie header) when given. */
const signInFrom = (
  app: ConsoleServer,
  username: string,
  password: string,
  address: string,
  opts: { cookie?: string; accept?: string } = {},
) =>
  fetch(`${app.base}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: opts.accept ?? 'text/html',
      'X-Forwarded-For': address,
      ...(opts.cookie ? { Cookie: opts.cookie } : {}),
    },
    body: new URLSearchParams({ username, password, next: '/console' }),
  });

/** The `rapport_device=…` pair a response sets (for a Cookie header), or undefined. */
const deviceCookieOf = (res: Response): string | undefined =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith('rapport_device='))
    ?.split(';')[0];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fixed sentence of a try refused for the account's delay (nothing from the request in it). */
const accountDelaySentence = (seconds: number) =>
  `Too many wrong passwords for this account: each try now waits a little longer. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
/** That sentence for any number of seconds. */
const accountDelayPattern =
  /^Too many wrong passwords for this account: each try now waits a little longer\. Try again in \d+ seconds?\.$/;

// Password sign-in is slowed per account and address pair, per address and per account (here counted in
// the web process, as without Redis): guessing is refused with 429, Retry-After and a sentence, and the
// right password does not get through a locked pair.
describe('console password sign-in throttle', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    await createConsoleAccount(t.db, { username: 'lee', password: 'lee password 123', role: 'rep', timezone: 'UTC' });
    await createConsoleAccount(t.db, { username: 'mo', password: 'mo password 1234', role: 'rep', timezone: 'UTC' });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  /**
   * A console of its own for each test: the pauses are counted in the server's memory, so a test that
   * shared one would start with the other test's wrong passwords.
   */
  async function withConsole(run: (app: ConsoleServer) => Promise<void>): Promise<void> {
    const app = await startConsoleServer(t.db);
    try {
      await run(app);
    } finally {
      await app.close();
    }
  }

  it('after 5 wrong passwords for an account from one address, even the right one from there is refused with 429, Retry-After and a sentence', async () => {
    await withConsole(async (app) => {
      for (let i = 0; i < 5; i++) {
        const res = await attempt(app, 'lee', `wrong guess ${i}`);
        expect(res.status).toBe(303);
        // A code the sign-in page shows as "Wrong user name or password." (public/sign-in.js).
        expect(res.headers.get('location')).toBe('/console/sign-in?error=wrong-password&next=%2Fconsole%2Ftoday');
      }
      const paused = await attempt(app, 'LEE', 'lee password 123');
      expect(paused.status).toBe(429);
      const retryAfter = Number(paused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(14 * 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(paused.headers.get('set-cookie')).toBeNull();
      const page = await paused.text();
      expect(page).toContain('Too many wrong passwords for this account or from this address');
      expect(page).toContain('paused for 15 minutes');
      const json = await attempt(app, 'lee', 'lee password 123', 'application/json');
      expect(json.status).toBe(429);
      expect((await json.json()).error).toContain('Too many wrong passwords');
      // Another account from the same address is not paused by Lee's five.
      const mo = await attempt(app, 'mo', 'mo password 1234');
      expect(mo.status).toBe(303);
      expect(mo.headers.get('location')).toBe('/console/today');
    });
  });

  it('after 20 wrong passwords from one address for any names, that address is paused for every account', async () => {
    await withConsole(async (app) => {
      for (let i = 0; i < 19; i++) expect((await attempt(app, `nobody${i}`, 'guess guess')).status).toBe(303);
      // 19 so far from this address (one each for 19 names: none is paused alone); one more reaches 20.
      expect((await attempt(app, 'mo', 'not mo password')).status).toBe(303);
      const res = await attempt(app, 'mo', 'mo password 1234');
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  // Behind a reverse proxy on this machine every request comes from 127.0.0.1: counting that address
  // paused everyone's sign-in after one guesser's 20 wrong passwords. The proxy's X-Forwarded-For is the
  // client's address (trusted from loopback only, as `rapport start` sets it).
  it('behind a reverse proxy, one client’s 20 wrong passwords pause that client, not the others behind the same proxy', async () => {
    await withConsole(async (app) => {
      const guesser = '203.0.113.7';
      for (let i = 0; i < 20; i++)
        expect((await attempt(app, `nobody${i}`, 'guess guess', 'text/html', guesser)).status).toBe(303);
      expect((await attempt(app, 'mo', 'mo password 1234', 'text/html', guesser)).status).toBe(429);
      const colleague = await attempt(app, 'mo', 'mo password 1234', 'text/html', '198.51.100.9');
      expect(colleague.status).toBe(303);
      expect(colleague.headers.get('location')).toBe('/console/today');
    });
  });
});

// The rules that keep the owner in (OWASP): the guesser's own (account, address) pair is locked, the
// account from anywhere else only waits a short doubling delay; counted in Redis, so every console
// process behind a load balancer sees every wrong password. Clients are told apart by X-Forwarded-For,
// believed from loopback only (trust proxy, as `rapport start` sets it): the test is that proxy.
describe('console password sign-in throttle shared through Redis', () => {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  /** Runs `test` with a Redis client that goes through a TCP proxy the test can cut or stall. */
  const withProxiedRedis = async (test: (proxy: TcpProxy, redis: Redis) => Promise<void>) => {
    const url = new URL(redisUrl);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    const viaProxy = connectRedis(`redis://127.0.0.1:${proxy.port}`);
    viaProxy.on('error', () => {});
    try {
      await viaProxy.ping();
      await test(proxy, viaProxy);
    } finally {
      viaProxy.disconnect();
      await proxy.close();
    }
  };
  let t: TestDatabase;
  let redis: ReturnType<typeof connectRedis>;
  // A prefix of this file's own: the Redis is shared with other tests (nothing is flushed). Each test
  // guesses from addresses of its own (192.0.2.1-4 one each, 10-22 the many-addresses test).
  const prefix = `test-sign-in-throttle-${randomUUID()}`;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    redis = connectRedis(redisUrl);
    await redis.ping();
  });
  afterAll(async () => {
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await t?.dispose();
  });

  /** An account of this test's own (the counts of other tests' accounts never touch it). */
  async function account(): Promise<{ name: string; password: string }> {
    const name = `rep-${randomUUID().slice(0, 8)}`;
    const password = `${name} password 123`;
    await createConsoleAccount(t.db, { username: name, password, role: 'rep', timezone: 'UTC' });
    return { name, password };
  }

  async function withConsoles(
    count: number,
    run: (...apps: ConsoleServer[]) => Promise<void>,
    opts: ConsoleServerOptions = {},
  ): Promise<void> {
    const apps: ConsoleServer[] = [];
    try {
      for (let i = 0; i < count; i++)
        apps.push(await startConsoleServer(t.db, { redis, redisPrefix: prefix, ...opts }));
      await run(...apps);
    } finally {
      for (const app of apps) await app.close();
    }
  }

  const signedIn = (res: Response) => res.status === 303 && res.headers.get('location') === '/console/today';

  /**
   * Starts `rep`'s account delay and keeps it running for about 16 s: 1 s after the 5th wrong password
   * is too short to check what should skip it on a busy machine. 4 wrong passwords, then 5 with the
   * device cookie of another browser of the account's own (each skips the delay the one before set, and
   * sets a doubled one: 1, 2, 4, 8, 16 s), from 192.0.2.`first` to `first + 8`; the right password
   * from `browser` without a device cookie is then refused.
   */
  async function holdDelay(
    app: ConsoleServer,
    rep: { name: string; password: string },
    first: number,
    browser: string,
  ): Promise<void> {
    const other = deviceCookieOf(await signInFrom(app, rep.name, rep.password, `203.0.113.${first}`));
    for (let i = 0; i < 9; i++) {
      const res = await signInFrom(app, rep.name, `guess ${i}`, `192.0.2.${first + i}`, {
        cookie: i < 4 ? undefined : other,
      });
      expect(res.status).toBe(303);
    }
    const refused = await signInFrom(app, rep.name, rep.password, browser);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(5);
  }

  /** A password sign-in refused for the pair or the address: 429 for the rest of the 15 minutes. */
  const pausedForTheWindow = (res: Response) => res.status === 429 && Number(res.headers.get('retry-after')) > 14 * 60;

  it('an attacker’s 5 wrong passwords from one address lock only that address for the account: the owner elsewhere signs in within a second', async () => {
    const rep = await account();
    const attacker = '192.0.2.1';
    const owner = '198.51.100.20';
    await withConsoles(1, async (app) => {
      for (let i = 0; i < 5; i++) {
        const res = await attempt(app, rep.name, `wrong guess ${i}`, 'text/html', attacker);
        expect(res.headers.get('location')).toBe('/console/sign-in?error=wrong-password&next=%2Fconsole%2Ftoday');
      }
      // The attacker's pair: locked for the rest of the 15 minutes, the right password too.
      const locked = await attempt(app, rep.name.toUpperCase(), rep.password, 'text/html', attacker);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
      expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
      expect(locked.headers.get('set-cookie')).toBeNull();
      const page = await locked.text();
      expect(page).toContain('paused for 15 minutes');
      expect(page).not.toContain(rep.name);
      // The owner from another address: in at once, or after the account's 1 s delay (Retry-After 1).
      let res = await attempt(app, rep.name, rep.password, 'text/html', owner);
      if (res.status === 429) {
        const wait = Number(res.headers.get('retry-after'));
        expect(wait).toBe(1);
        await new Promise((r) => setTimeout(r, wait * 1000));
        res = await attempt(app, rep.name, rep.password, 'text/html', owner);
      }
      expect(signedIn(res)).toBe(true);
      expect(res.headers.get('set-cookie')).toContain('rapport_session');
      // The owner's sign-in does not free the attacker's pair.
      expect((await attempt(app, rep.name, rep.password, 'text/html', attacker)).status).toBe(429);
    });
  });

  it('guessing one account from many addresses is slowed by a doubling delay of seconds, never locked for 15 minutes', async () => {
    const rep = await account();
    await withConsoles(1, async (app) => {
      for (let i = 0; i < 5; i++)
        expect((await attempt(app, rep.name, `guess ${i}`, 'text/html', `192.0.2.${10 + i}`)).status).toBe(303);
      const slowed = await attempt(app, rep.name, 'guess 5', 'application/json', '192.0.2.20');
      expect(slowed.status).toBe(429);
      expect(Number(slowed.headers.get('retry-after'))).toBe(1);
      expect(((await slowed.json()) as { error: string }).error).toBe(
        'Too many wrong passwords for this account: each try now waits a little longer. Try again in 1 second.',
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect((await attempt(app, rep.name, 'guess 6', 'text/html', '192.0.2.21')).status).toBe(303);
      const doubled = await attempt(app, rep.name, rep.password, 'text/html', '192.0.2.22');
      expect(doubled.status).toBe(429);
      // 2 s from the 6th wrong password (1 when that password's own check took over a second).
      const wait = Number(doubled.headers.get('retry-after'));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, wait * 1000));
      expect(signedIn(await attempt(app, rep.name, rep.password, 'text/html', '192.0.2.22'))).toBe(true);
    });
  });

  it('two console processes sharing one Redis share the counts: 3 wrong passwords on one and 2 on the other lock the pair on both', async () => {
    const rep = await account();
    const guesser = '192.0.2.2';
    await withConsoles(2, async (one, two) => {
      for (let i = 0; i < 3; i++)
        expect((await attempt(one, rep.name, `one ${i}`, 'text/html', guesser)).status).toBe(303);
      for (let i = 0; i < 2; i++)
        expect((await attempt(two, rep.name, `two ${i}`, 'text/html', guesser)).status).toBe(303);
      for (const app of [one, two]) {
        const res = await attempt(app, rep.name, rep.password, 'text/html', guesser);
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
      }
      // Kept under the deployment's prefix, names hashed (no user name or address in the keys).
      const keys = await redis.keys(`${prefix}:console:{sign-in}:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.includes(rep.name) || k.includes(guesser))).toBe(false);
    });
  });

  it('a burst of 12 concurrent guesses from one address over two consoles gets only 5 passwords checked', async () => {
    const rep = await account();
    const guesser = '192.0.2.3';
    await withConsoles(2, async (one, two) => {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => attempt(i % 2 ? one : two, rep.name, `burst ${i}`, 'text/html', guesser)),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 303)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    });
  });

  // OWASP's device cookies: refused tries cost a guesser nothing and each counted wrong password sets a
  // new account delay, so a guesser on a few addresses can keep that delay up for ever; a browser that
  // signed in to the account before carries a signed device cookie and skips it.
  it('an attacker on 6 addresses keeps failing for the owner’s account while the owner’s browser, which signed in before (device cookie), signs in at once; without the cookie the owner waits the delay', async () => {
    const rep = await account();
    const owner = '198.51.100.30';
    const attackers = Array.from({ length: 6 }, (_, i) => `192.0.2.${40 + i}`);
    await withConsoles(1, async (app) => {
      // The owner signed in once before from this browser (which keeps the device cookie it was given).
      const before = await signInFrom(app, rep.name, rep.password, owner);
      expect(signedIn(before)).toBe(true);
      let cookie = deviceCookieOf(before);
      // The attacker's first 5 wrong passwords (one from each of 5 addresses) start the account's delay.
      for (let i = 0; i < 5; i++)
        expect((await signInFrom(app, rep.name, `guess ${i}`, attackers[i])).status).toBe(303);
      // The owner without the cookie (another browser) waits it: the trade-off of device cookies. Checked
      // below, once the delay is several seconds: this first one (1 s, from the 5th try's start) can run
      // out during that try's password hashing on a loaded machine.
      // The owner's browser: in at once.
      const atOnce = await signInFrom(app, rep.name, rep.password, owner, { cookie });
      expect(signedIn(atOnce)).toBe(true);
      cookie = deviceCookieOf(atOnce) ?? cookie;

      // The attacker keeps going: a try every 100 ms from its 6 addresses, whatever Retry-After says.
      let stop = false;
      let counted = 0;
      const attack = (async () => {
        for (let i = 0; !stop; i++) {
          const res = await signInFrom(app, rep.name, `loop guess ${i}`, attackers[i % attackers.length]);
          await res.arrayBuffer();
          if (res.status === 303) counted++;
          else expect(res.status).toBe(429);
          await sleep(100);
        }
      })();
      try {
        for (let k = 0; k < 6; k++) {
          await sleep(600);
          const res = await signInFrom(app, rep.name, rep.password, owner, { cookie });
          expect(signedIn(res), `owner's sign-in ${k} during the attack`).toBe(true);
          cookie = deviceCookieOf(res) ?? cookie;
        }
      } finally {
        stop = true;
        await attack;
      }
      // It kept failing: its wrong passwords were counted (each setting a new delay), not only refused.
      expect(counted).toBeGreaterThanOrEqual(3);
      // After the owner's sign-in, one more wrong password sets a delay of several seconds at once (the
      // account's count was kept): without the cookie the owner is refused, with it let in. From an
      // address of its own: the loop's counted guesses (one after each of the owner's sign-ins, about
      // six tries apart) can all fall on one of the six addresses and lock that pair.
      expect(signedIn(await signInFrom(app, rep.name, rep.password, owner, { cookie }))).toBe(true);
      expect((await signInFrom(app, rep.name, 'one more guess', '192.0.2.46')).status).toBe(303);
      const stillWaits = await signInFrom(app, rep.name, rep.password, owner, { accept: 'application/json' });
      expect(stillWaits.status).toBe(429);
      const seconds = Number(stillWaits.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(2);
      expect(((await stillWaits.json()) as { error: string }).error).toBe(accountDelaySentence(seconds));
      expect(signedIn(await signInFrom(app, rep.name, rep.password, owner, { cookie }))).toBe(true);
    });
  });

  it('a device cookie for one account does nothing for another', async () => {
    const ann = await account();
    const bob = await account();
    const browser = '198.51.100.31';
    await withConsoles(1, async (app) => {
      const cookie = deviceCookieOf(await signInFrom(app, ann.name, ann.password, browser));
      expect(cookie).toBeDefined();
      await holdDelay(app, bob, 190, browser);
      const res = await signInFrom(app, bob.name, bob.password, browser, { cookie, accept: 'application/json' });
      expect(res.status).toBe(429);
      expect(((await res.json()) as { error: string }).error).toMatch(accountDelayPattern);
    });
  });

  it('a device cookie used with 5 wrong passwords no longer skips the account’s delay', async () => {
    const rep = await account();
    const browser = '198.51.100.32';
    const thief = '192.0.2.60';
    await withConsoles(1, async (app) => {
      const cookie = deviceCookieOf(await signInFrom(app, rep.name, rep.password, browser));
      expect(cookie).toBeDefined();
      for (let i = 0; i < 5; i++)
        expect((await signInFrom(app, rep.name, `guess ${i}`, `192.0.2.${61 + i}`)).status).toBe(303);
      // A stolen copy of the cookie skips the delay for 5 wrong passwords (each one sets a longer delay)…
      for (let i = 0; i < 5; i++)
        expect((await signInFrom(app, rep.name, `thief ${i}`, thief, { cookie })).status).toBe(303);
      // …then no longer, from any address, even with the right password.
      const refused = await signInFrom(app, rep.name, rep.password, '192.0.2.66', {
        cookie,
        accept: 'application/json',
      });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: string }).error).toMatch(accountDelayPattern);
    });
  });

  it('a tampered or forged device cookie is ignored', async () => {
    const rep = await account();
    const browser = '198.51.100.33';
    await withConsoles(1, async (app) => {
      // A signed, HttpOnly, SameSite=Lax, 90-day cookie (Secure over https, as the session cookie).
      const first = await signInFrom(app, rep.name, rep.password, browser);
      const set = first.headers.getSetCookie().find((c) => c.startsWith('rapport_device='));
      expect(set).toMatch(/; Max-Age=7776000;/);
      expect(set).toMatch(/; HttpOnly/);
      expect(set).toMatch(/; SameSite=Lax/);
      expect(set).not.toMatch(/; Secure/);
      const cookie = deviceCookieOf(first);
      await holdDelay(app, rep, 180, browser);
      const value = decodeURIComponent((cookie ?? '').slice('rapport_device='.length));
      const [body, signature] = value.split('.');
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
        accounts: Record<string, unknown>[];
      };
      expect(payload).toMatchObject({ k: 'device', accounts: [{ a: rep.name }] });
      // Another device id under the old signature; the same payload signed with another key.
      const otherDevice = Buffer.from(
        JSON.stringify({ ...payload, accounts: [{ ...payload.accounts[0], d: 'another-device' }] }),
      ).toString('base64url');
      const tampered = `rapport_device=${encodeURIComponent(`${otherDevice}.${signature}`)}`;
      const forged = `rapport_device=${encodeURIComponent(sealValue('not the console key', payload))}`;
      for (const bad of [tampered, forged]) {
        const res = await signInFrom(app, rep.name, rep.password, browser, { cookie: bad });
        expect(res.status).toBe(429);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
      // The cookie as it was set still lets the owner in.
      expect(signedIn(await signInFrom(app, rep.name, rep.password, browser, { cookie }))).toBe(true);
    });
  });

  // One IPv6 host holds a whole /64 and can pick new addresses in it for free: counted per address, each
  // new one started a fresh pair and address count. Counted by the /64, over two consoles sharing Redis.
  it('guesses from many IPv6 addresses of one /64 lock the pair and then the address like one address; the neighbouring /64 is apart', async () => {
    const rep = await account();
    const colleague = await account();
    const inside = (i: number) => `2001:db8:52:10:${i.toString(16)}::${i + 1}`;
    const neighbour = (i: number) => `2001:db8:52:11::${i + 1}`;
    await withConsoles(2, async (one, two) => {
      for (let i = 0; i < 5; i++)
        expect((await signInFrom(i % 2 ? one : two, rep.name, `guess ${i}`, inside(i))).status).toBe(303);
      // A sixth address of that /64, spelled in capitals: the pair is locked, the right password too.
      const locked = await signInFrom(one, rep.name, rep.password, '2001:DB8:52:10:ABCD:EF::1');
      expect(pausedForTheWindow(locked)).toBe(true);
      expect(await locked.text()).toContain('paused for 15 minutes');
      // The owner in the next /64 (its prefix differs in the last bit): in at once or after the 1 s delay.
      let owner = await signInFrom(two, rep.name, rep.password, neighbour(0));
      if (owner.status === 429) {
        expect(owner.headers.get('retry-after')).toBe('1');
        await sleep(1000);
        owner = await signInFrom(two, rep.name, rep.password, neighbour(0));
      }
      expect(signedIn(owner)).toBe(true);
      // 15 more wrong passwords for other names from the /64 (20 in all) pause every address in it.
      for (let i = 5; i < 20; i++)
        expect((await signInFrom(i % 2 ? one : two, `nobody-${i}`, 'guess', inside(i))).status).toBe(303);
      expect(pausedForTheWindow(await signInFrom(two, colleague.name, colleague.password, inside(99)))).toBe(true);
      expect(signedIn(await signInFrom(one, colleague.name, colleague.password, neighbour(1)))).toBe(true);
    });
  });

  it('an IPv4-mapped IPv6 address is counted as its IPv4 address', async () => {
    const rep = await account();
    const spellings = ['192.0.2.80', '::ffff:192.0.2.80', '::FFFF:C000:250'];
    await withConsoles(1, async (app) => {
      for (let i = 0; i < 5; i++)
        expect((await signInFrom(app, rep.name, `guess ${i}`, spellings[i % spellings.length])).status).toBe(303);
      for (const address of spellings)
        expect(pausedForTheWindow(await signInFrom(app, rep.name, rep.password, address)), address).toBe(true);
    });
  });

  // A shared front-desk machine, an admin who also has a rep account: the cookie named only the last
  // account signed in on the browser, so the others waited the delay while a guesser kept it up.
  it('a browser signed in to two accounts skips the account’s delay for both; a third account not signed in on it waits', async () => {
    const [ann, bob, cy] = [await account(), await account(), await account()];
    const browser = '198.51.100.40';
    await withConsoles(1, async (app) => {
      const first = deviceCookieOf(await signInFrom(app, ann.name, ann.password, browser));
      let cookie = deviceCookieOf(await signInFrom(app, bob.name, bob.password, browser, { cookie: first }));
      // Each sign-in keeps the other account (the browser stores the cookie each one sets).
      for (const [k, rep] of [ann, bob].entries()) {
        await holdDelay(app, rep, 150 + k * 10, browser);
        const res = await signInFrom(app, rep.name, rep.password, browser, { cookie });
        expect(signedIn(res), rep === ann ? 'ann' : 'bob').toBe(true);
        cookie = deviceCookieOf(res) ?? cookie;
      }
      await holdDelay(app, cy, 170, browser);
      const third = await signInFrom(app, cy.name, cy.password, browser, { cookie, accept: 'application/json' });
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: string }).error).toMatch(accountDelayPattern);
    });
  });

  it('a device cookie of two accounts used with 5 wrong passwords for one of them still skips the other’s delay', async () => {
    const [ann, bob] = [await account(), await account()];
    const browser = '198.51.100.41';
    const thief = '192.0.2.119';
    await withConsoles(1, async (app) => {
      const first = deviceCookieOf(await signInFrom(app, ann.name, ann.password, browser));
      const cookie = deviceCookieOf(await signInFrom(app, bob.name, bob.password, browser, { cookie: first }));
      await holdDelay(app, ann, 110, browser);
      // A stolen copy: 5 wrong passwords for Ann skip her delay, then no longer…
      for (let i = 0; i < 5; i++)
        expect((await signInFrom(app, ann.name, `thief ${i}`, thief, { cookie })).status).toBe(303);
      expect((await signInFrom(app, ann.name, ann.password, browser, { cookie })).status).toBe(429);
      // …while Bob's own entry in the same cookie still skips his.
      await holdDelay(app, bob, 120, browser);
      expect(signedIn(await signInFrom(app, bob.name, bob.password, browser, { cookie }))).toBe(true);
    });
  });

  it('a device cookie from before several accounts (one account) still skips its delay, and a sign-in to another account on that browser keeps it', async () => {
    const sessionSecret = `throttle test key ${randomUUID()}`;
    const [ann, bob] = [await account(), await account()];
    const browser = '198.51.100.42';
    // The cookie as the console set it before: one account, one device id.
    const old = sealValue(sessionSecret, {
      k: 'device',
      a: ann.name,
      d: randomUUID(),
      exp: Date.now() + DEVICE_COOKIE_MS,
    });
    const oldCookie = `rapport_device=${encodeURIComponent(old)}`;
    await withConsoles(
      1,
      async (app) => {
        await holdDelay(app, ann, 130, browser);
        expect(signedIn(await signInFrom(app, ann.name, ann.password, browser, { cookie: oldCookie }))).toBe(true);
        // Bob signs in on that browser while it still holds only the old cookie: Ann's entry is kept.
        const both = deviceCookieOf(await signInFrom(app, bob.name, bob.password, browser, { cookie: oldCookie }));
        await holdDelay(app, bob, 140, browser);
        expect(signedIn(await signInFrom(app, bob.name, bob.password, browser, { cookie: both }))).toBe(true);
        // One more wrong password for Ann sets a delay again at once (her count was kept).
        expect((await signInFrom(app, ann.name, 'one more guess', '192.0.2.139')).status).toBe(303);
        expect((await signInFrom(app, ann.name, ann.password, browser)).status).toBe(429);
        expect(signedIn(await signInFrom(app, ann.name, ann.password, browser, { cookie: both }))).toBe(true);
      },
      { signIn: { sessionSecret } },
    );
  });

  it('when Redis stops answering, wrong passwords are counted in the process (logged once), and in Redis again once it is back', async () => {
    const rep = await account();
    const lines = new PassThrough();
    const logged: string[] = [];
    lines.on('data', (chunk: Buffer) => logged.push(...chunk.toString().split('\n').filter(Boolean)));
    const guesser = '192.0.2.4';
    await withProxiedRedis(async (proxy, viaProxy) => {
      await withConsoles(
        1,
        async (app) => {
          proxy.down();
          await new Promise((r) => setTimeout(r, 100));
          for (let i = 0; i < 5; i++)
            expect((await attempt(app, rep.name, `down ${i}`, 'text/html', guesser)).status).toBe(303);
          expect((await attempt(app, rep.name, rep.password, 'text/html', guesser)).status).toBe(429);
          const downWarnings = logged.filter((l) => l.includes('Redis does not answer'));
          expect(downWarnings).toHaveLength(1);
          proxy.up();
          await viaProxy.ping();
          const other = await account();
          expect((await attempt(app, other.name, 'wrong', 'text/html', guesser)).status).toBe(303);
          expect(logged.some((l) => l.includes('Redis answers again'))).toBe(true);
          // A stalled Redis (connected, no answers) holds a sign-in for about a second, not for ever.
          proxy.hold();
          const started = Date.now();
          expect(signedIn(await attempt(app, other.name, other.password, 'text/html', '198.51.100.77'))).toBe(true);
          expect(Date.now() - started).toBeLessThan(5000);
          proxy.release();
        },
        { redis: viaProxy, logger: createLogger('info', lines) },
      );
    });
  });

  // A stall (of Redis, or of this process past the second it waits) makes the try count in the process;
  // Redis still runs the script it was sent, which counts the try there too and, past the free tries,
  // sets the account's delay. The owner's right password must clear that delay in Redis as well.
  it('a right password whose count Redis answered only after the timeout clears the account’s delay in Redis too, once Redis answers', async () => {
    const rep = await account();
    await withProxiedRedis(async (proxy, viaProxy) => {
      await withConsoles(
        1,
        async (app) => {
          // The owner's browser signed in before; then 9 wrong passwords leave a 16 s delay running.
          const cookie = deviceCookieOf(await signInFrom(app, rep.name, rep.password, '198.51.100.60'));
          await holdDelay(app, rep, 200, '198.51.100.61');
          proxy.hold();
          // Redis holds the script: the try is counted in the process (allowed there), the password is right.
          expect(signedIn(await signInFrom(app, rep.name, rep.password, '198.51.100.60', { cookie }))).toBe(true);
          proxy.release();
          // Once Redis has run the held script (10th wrong password: a 32 s delay) and the late settle,
          // the delay is gone: a wrong password from an address of its own is checked, not refused.
          let res: Response | undefined;
          const until = Date.now() + 5_000;
          do {
            await sleep(200);
            res = await signInFrom(app, rep.name, 'after the stall', '192.0.2.209');
          } while (res.status === 429 && Date.now() < until);
          expect(res.status, `Retry-After ${res.headers.get('retry-after')}`).toBe(303);
        },
        { redis: viaProxy },
      );
    });
  });
});
