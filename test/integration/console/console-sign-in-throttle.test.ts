import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// Password sign-in is slowed per account and per address (in each web process): guessing is refused
// with 429, Retry-After and a sentence, and the right password does not get through a paused account.
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

  const attempt = (
    app: ConsoleServer,
    username: string,
    password: string,
    accept = 'text/html',
    forwardedFor?: string,
  ) =>
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

  it('after 5 wrong passwords for an account, even the right one is refused with 429, Retry-After and a sentence', async () => {
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
