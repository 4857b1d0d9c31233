import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// The console's access check is mounted on a list of path prefixes (the Teams endpoint /api/messages
// must stay outside it). A route added under a new prefix and not listed was open to anyone: this test
// takes every /api route the console's routers declare, from their source, and asks each as a browser
// that has not signed in.

const CONSOLE_DIR = fileURLToPath(new URL('../../../connectors/console/', import.meta.url));

/** Every `router.<method>('/api/…'` of the console's routers. */
function consoleApiRoutes(): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  for (const file of readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(CONSOLE_DIR, file), 'utf8');
    for (const m of source.matchAll(/router\.(get|post|put|delete|patch)\(\s*'(\/api\/[^']*)'/g))
      routes.push({ method: m[1].toUpperCase(), path: m[2] });
  }
  return routes;
}

describe('every console API route needs a signed-in person', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    app = await startConsoleServer(t.db);
    // With an account, browsers on this machine sign in too.
    await createConsoleAccount(t.db, {
      username: 'ada',
      password: 'a long enough passphrase',
      role: 'admin',
      timezone: 'UTC',
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('refuses each one to a browser without a session', async () => {
    const routes = consoleApiRoutes();
    expect(routes.length).toBeGreaterThan(15);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/unconfirmed-senders/make-customer' });
    const answered: string[] = [];
    for (const { method, path } of routes) {
      const url = app.base + path.replace(/:domain\b/g, 'acme.example').replace(/:\w+/g, randomUUID());
      const res = await fetch(url, {
        method,
        headers: {
          origin: app.base,
          'sec-fetch-site': 'same-origin',
          ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
        },
        body: method === 'GET' ? undefined : '{}',
        redirect: 'manual',
      });
      await res.body?.cancel();
      answered.push(`${method} ${path} ${res.status}`);
    }
    expect(answered.filter((a) => !/ 401$/.test(a))).toEqual([]);
  });
});
