import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// Password sign-in is slowed per account and per address (in each web process): guessing is refused
// with 429, Retry-After and a sentence, and the right password does not get through a paused account.
describe('console password sign-in throttle', () => {
  let t: TestDatabase;
  let app: ConsoleServer;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    app = await startConsoleServer(t.db);
    await createConsoleAccount(t.db, { username: 'lee', password: 'lee password 123', role: 'rep', timezone: 'UTC' });
    await createConsoleAccount(t.db, { username: 'mo', password: 'mo password 1234', role: 'rep', timezone: 'UTC' });
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  const attempt = (username: string, password: string, accept = 'text/html') =>
    fetch(`${app.base}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: accept },
      body: new URLSearchParams({ username, password, next: '/console' }),
    });

  it('after 5 wrong passwords for an account, even the right one is refused with 429, Retry-After and a sentence', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await attempt('lee', `wrong guess ${i}`);
      expect(res.status).toBe(303);
      expect(decodeURIComponent(res.headers.get('location') ?? '')).toContain('Wrong user name or password.');
    }
    const paused = await attempt('LEE', 'lee password 123');
    expect(paused.status).toBe(429);
    const retryAfter = Number(paused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(paused.headers.get('set-cookie')).toBeNull();
    const page = await paused.text();
    expect(page).toContain('Too many wrong passwords for this account or from this address');
    expect(page).toContain('paused for 15 minutes');
    const json = await attempt('lee', 'lee password 123', 'application/json');
    expect(json.status).toBe(429);
    expect((await json.json()).error).toContain('Too many wrong passwords');
    // Another account from the same address is not paused by Lee's five.
    const mo = await attempt('mo', 'mo password 1234');
    expect(mo.status).toBe(303);
    expect(mo.headers.get('location')).toBe('/console/today');
  });

  it('after 20 wrong passwords from one address for any names, that address is paused for every account', async () => {
    for (let i = 0; i < 14; i++) expect((await attempt(`nobody${i}`, 'guess guess')).status).toBe(303);
    // 5 (Lee) + 14 so far = 19 from this address; one more wrong one reaches 20.
    expect((await attempt('mo', 'not mo password')).status).toBe(303);
    const res = await attempt('mo', 'mo password 1234');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
