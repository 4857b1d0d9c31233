import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-0123456789abcdef';
/** Published: no request counts as local, so only the cookie (or the token) lets one in. */
const PUBLIC_URL = new URL('https://rapport.example.com');

/** Opens the console as a browser would with `?token=`: the session cookie it is given. */
async function signInWithToken(app: ConsoleServer, token: string): Promise<string> {
  const res = await fetch(`${app.base}/console?token=${token}`, {
    redirect: 'manual',
    headers: { accept: 'text/html', 'sec-fetch-site': 'none' },
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/console');
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  expect(cookie).toMatch(/^rapport_session=/);
  // The cookie names no token: its payload is readable by whoever holds it.
  const payload = Buffer.from(decodeURIComponent(cookie.split('=')[1]).split('.')[0], 'base64url').toString();
  expect(payload).not.toContain(token);
  return cookie;
}

/** A page and an API request with `cookie`, as a browser sends them. */
async function withCookie(app: ConsoleServer, cookie: string) {
  const headers = { cookie, 'sec-fetch-site': 'same-origin' };
  const page = await fetch(`${app.base}/console`, { redirect: 'manual', headers: { ...headers, accept: 'text/html' } });
  const api = await fetch(`${app.base}/api/me`, { headers });
  return { page: page.status, location: page.headers.get('location'), api: api.status };
}

// Security review: a session made from RAPPORT_CONSOLE_TOKEN outlived rotating or removing the token
// (an admin cookie for up to RAPPORT_SESSION_HOURS). It lasts only while the token it was made with is set.
describe('console sessions opened with the console token', () => {
  let t: TestDatabase;
  const running: ConsoleServer[] = [];
  /** The console on the same database (the same session key), configured with `consoleToken`. */
  const start = async (consoleToken: string | undefined) => {
    for (const s of running.splice(0)) await s.close();
    const app = await startConsoleServer(t.db, { consoleToken, signIn: { publicUrl: PUBLIC_URL } });
    running.push(app);
    return app;
  };

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
  });
  afterAll(async () => {
    for (const s of running) await s.close();
    await t?.dispose();
  });

  it('a cookie from token A is refused once the token is B or unset; signing in with B works', async () => {
    let app = await start(TOKEN_A);
    const cookieA = await signInWithToken(app, TOKEN_A);
    expect(await withCookie(app, cookieA)).toMatchObject({ page: 200, api: 200 });

    // The operator rotates the token (a restart with RAPPORT_CONSOLE_TOKEN=B).
    app = await start(TOKEN_B);
    expect(await withCookie(app, cookieA)).toEqual({
      page: 303,
      location: '/console/sign-in?next=%2Fconsole',
      api: 401,
    });
    const cookieB = await signInWithToken(app, TOKEN_B);
    expect(await withCookie(app, cookieB)).toMatchObject({ page: 200, api: 200 });

    // The token removed (and no sign-in set up): a remote browser is refused whatever cookie it holds.
    app = await start(undefined);
    for (const cookie of [cookieA, cookieB])
      expect(await withCookie(app, cookie)).toEqual({ page: 403, location: null, api: 403 });
  });
});
