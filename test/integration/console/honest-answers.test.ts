import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { startTestProcess, type TestProcess } from '../../helpers/test-process.ts';
import { TEST_POSTGRES_ADMIN_URL } from '../../helpers/test-database.ts';
import { launchChromium, typeInConsole } from '../../helpers/console-server.ts';

// Redis is stopped in these tests: a private redis-server, never the shared one.
let redis: PrivateRedis;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-honest-'));
  redis = await startPrivateRedis(dir);
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (t: TestProcess, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/api/command`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const countLogs = async (t: TestProcess, text: string) => t.proc.runtime.db.prisma.message.count({ where: { text } });

describe('honest answers on the console API', () => {
  it('with Redis stopped, a committed log answers 200 "saved; classification delayed", and a retry with the same key logs once', async () => {
    const ownRedis = await startPrivateRedis(mkdtempSync(join(dir, 'r-')));
    const t = await startTestProcess('postgres', { REDIS_URL: ownRedis.url, RAPPORT_ROLE: 'web' }, { name: 'honest' });
    try {
      const created = await post(t, { text: 'log Globex "first call" --new', user: 'jo' });
      expect(created.status).toBe(200);
      await ownRedis.stop();

      const key = 'typed-command-1';
      const first = await post(
        t,
        { text: 'log Globex "Asked for a quote, Redis is down"', user: 'jo' },
        { 'Idempotency-Key': key },
      );
      const reply = (await first.json()) as { tone: string; text: string; title: string };
      expect(first.status).toBe(200);
      expect(reply.tone).toBe('success');
      expect(reply.title).toBe('Logged for Globex');
      expect(reply.text).toContain('classification and reminders are delayed');
      expect(reply.text).not.toMatch(/went wrong|try again/i);

      const retry = await post(
        t,
        { text: 'log Globex "Asked for a quote, Redis is down"', user: 'jo' },
        { 'Idempotency-Key': key },
      );
      expect(retry.status).toBe(200);
      expect(((await retry.json()) as { title: string }).title).toBe('Already logged for Globex');
      expect(await countLogs(t, 'Asked for a quote, Redis is down')).toBe(1);

      // A follow-up change (its reminder lives in Redis) is saved and said so, too.
      const remind = await post(t, { text: 'remind globex tomorrow "send the quote"', user: 'jo' });
      expect(remind.status).toBe(200);
      expect(((await remind.json()) as { text: string }).text).toContain('delayed');
    } finally {
      await t.dispose();
      await ownRedis.stop();
    }
  }, 60_000);

  it('answers bad requests 400/413 with a sentence, and 503 with a sentence while the database refuses connections', async () => {
    const t = await startTestProcess(
      'postgres',
      { REDIS_URL: redis.url, RAPPORT_ROLE: 'web' },
      { name: 'honest-status' },
    );
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
    await admin.connect();
    const dbName = new URL(t.proc.runtime.config.databaseUrl!).pathname.slice(1);
    try {
      const noText = await post(t, { user: 'jo' });
      expect(noText.status).toBe(400);
      expect(((await noText.json()) as { text: string }).text).toMatch(/Send \{"text"/);

      const badJson = await post(t, '{"text": "help"');
      expect(badJson.status).toBe(400);
      expect(((await badJson.json()) as { text: string }).text).toMatch(/not valid JSON/);

      const tooLarge = await post(t, { text: `log acme "${'x'.repeat(70_000)}"` });
      expect(tooLarge.status).toBe(413);
      expect(((await tooLarge.json()) as { text: string }).text).toMatch(/larger than the 64 kB limit/);

      const unknown = await post(t, { text: 'frobnicate acme' });
      expect(unknown.status).toBe(400);
      const invalid = await post(t, { text: 'log Initech "x" --at "not a date at all"' });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { tone: string }).tone).toBe('error');

      // The database stops taking connections (as during a failover): every pooled one is dropped.
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [dbName],
      );
      const down = await post(
        t,
        { text: 'log Initech "nobody home" --new', user: 'jo' },
        { 'Idempotency-Key': 'k-503' },
      );
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('30');
      const downReply = (await down.json()) as { tone: string; text: string };
      expect(downReply.tone).toBe('error');
      expect(downReply.text).toMatch(/cannot reach its database/);

      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
      const back = await post(
        t,
        { text: 'log Initech "nobody home" --new', user: 'jo' },
        { 'Idempotency-Key': 'k-503' },
      );
      expect(back.status).toBe(200);
      expect(await countLogs(t, 'nobody home')).toBe(1);
    } finally {
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.end();
      await t.dispose();
    }
  }, 60_000);

  it('the console page sends one Idempotency-Key per typed command until it gets an answer', async () => {
    const t = await startTestProcess('pglite', { REDIS_URL: redis.url }, { name: 'honest-page' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const keys: string[] = [];
      let loseNextAnswer = true;
      // A proxy in between loses the first answer: the request reached Rapport, the browser sees a 502.
      await page.route('**/api/command', async (route) => {
        keys.push(route.request().headers()['idempotency-key']);
        const response = await route.fetch();
        if (loseNextAnswer) {
          loseNextAnswer = false;
          await route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' });
        } else await route.fulfill({ response });
      });
      await page.goto(`${t.url}/console`);
      const send = async (command: string) => (await (await typeInConsole(page, command)).textContent()) ?? '';
      expect(await send('log Hooli "Demo went well" --new')).toMatch(/HTTP 502/);
      expect(await send('log Hooli "Demo went well" --new')).toContain('Already logged for Hooli');
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe(keys[0]);
      expect(await countLogs(t, 'Demo went well')).toBe(1);

      // Answered: the same text typed again is a new command with a new key (two calls, two logs).
      expect(await send('log Hooli "Demo went well"')).toContain('Logged for Hooli');
      expect(keys[2]).not.toBe(keys[0]);
      expect(await countLogs(t, 'Demo went well')).toBe(2);
    } finally {
      await browser.close();
      await t.dispose();
    }
  }, 60_000);
});
