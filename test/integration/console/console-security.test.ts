import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import express from 'express';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

/** This machine's first non-loopback IPv4 address: a client from there is "remote" to the console. */
function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

// Issue 17: what a hostile page can make a browser send, refused; the token works for a whole page.
describe('console security in headless Chromium', () => {
  let t: TestDatabase;
  let consoleServer: ConsoleServer;
  let browser: Browser;
  let attacker: Server;
  let attackerBase: string;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    consoleServer = await startConsoleServer(t.db);
    // evil.example resolves to this machine, as a DNS-rebinding attacker's name does after its TTL ran out.
    browser = await launchChromium('MAP evil.example 127.0.0.1');
    // The attacker's own site, on another origin (localhost:<other port>).
    const app = express();
    app.get('/', (_req, res) => {
      res
        .type('html')
        .send(`<!doctype html><form id="f" method="post" action="${consoleServer.base}/api/command" enctype="text/plain">
<input name='{"text":"log \\"Form Co\\" evil --new","x":"' value='"}'></form>
<script>
window.crossSite = fetch('${consoleServer.base}/api/command', { method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ text: 'log "Fetch Co" evil --new' }) }).then(() => 'sent', (e) => String(e));
</script>`);
    });
    // A page that shows the console in a frame under its own content (clickjacking).
    app.get('/framed', (_req, res) => {
      res.type('html').send(`<!doctype html><iframe id="c" src="${consoleServer.base}/console"></iframe>`);
    });
    attacker = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    attackerBase = `http://localhost:${(attacker.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    attacker?.closeAllConnections();
    await new Promise((r) => attacker?.close(r));
    await consoleServer?.close();
    await t?.dispose();
  });

  it('refuses a DNS-rebinding page (Host: evil.example): no page, no timeline, no command', async () => {
    await t.db.prisma.company.create({ data: { name: 'Rebind Ltd', normalizedName: 'rebind' } });
    const page = await browser.newPage();
    try {
      const evil = `http://evil.example:${consoleServer.port}`;
      const res = await page.goto(`${evil}/console`);
      expect(res?.status()).toBe(421);
      expect(await page.textContent('body')).toContain('answers only at');
      // The rebinding page's own scripts: same origin for the browser, refused by Rapport.
      const answers = await page.evaluate(async () => {
        const timeline = await fetch('/api/customers/rebind/timeline');
        const command = await fetch('/api/command', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: 'forget "Rebind Ltd"' }),
        });
        return [timeline.status, command.status, await timeline.text()];
      });
      expect(answers.slice(0, 2)).toEqual([421, 421]);
      expect(answers[2]).not.toContain('Rebind Ltd');
    } finally {
      await page.close();
    }
    // A tool sending the header by hand gets the same answer, on every console path (the insights
    // page and API, mounted after the console router, included).
    for (const path of ['/api/customers/rebind/timeline', '/api/insights/health', '/console/insights']) {
      const direct = await new Promise<number>((resolve, reject) =>
        request({ host: '127.0.0.1', port: consoleServer.port, path, headers: { Host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end(),
      );
      expect(direct, path).toBe(421);
    }
    expect(await t.db.prisma.company.count({ where: { name: 'Rebind Ltd' } })).toBe(1);
  });

  it('refuses cross-origin POSTs (fetch and form) from another site in the same browser', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(attackerBase);
      expect(await page.evaluate(() => (window as unknown as { crossSite: Promise<string> }).crossSite)).toBe('sent');
      const formAnswer = page.waitForResponse((r) => r.url().endsWith('/api/command'));
      await page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit());
      expect((await formAnswer).status()).toBe(403);
    } finally {
      await page.close();
    }
    expect(await t.db.prisma.company.count({ where: { name: { in: ['Fetch Co', 'Form Co'] } } })).toBe(0);
    // The same command from the console's own origin runs (the check is on the origin, not the command).
    const page2 = await browser.newPage();
    try {
      await page2.goto(`${consoleServer.base}/console`);
      const status = await page2.evaluate(async () => {
        const r = await fetch('/api/command', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: 'log "Fetch Co" fine --new' }),
        });
        return r.status;
      });
      expect(status).toBe(200);
    } finally {
      await page2.close();
    }
    expect(await t.db.prisma.company.count({ where: { name: 'Fetch Co' } })).toBe(1);
  });

  it('is never shown in another site’s frame (clickjacking), and a malformed cookie is no cookie, not an error', async () => {
    await t.db.prisma.company.create({ data: { name: 'Framed Ltd', normalizedName: 'framed' } });
    const page = await browser.newPage();
    try {
      const framed = page.waitForResponse((r) => r.url() === `${consoleServer.base}/console`);
      // goto waits for the page's load event, which waits for its frame to load (or be refused).
      await page.goto(`${attackerBase}/framed`);
      const answer = await framed;
      // The attacker's page has its frame, and the browser asked the console for it...
      expect(page.frames()).toHaveLength(2);
      const frame = await page
        .locator('iframe#c')
        .elementHandle()
        .then((e) => e?.contentFrame());
      if (!frame) throw new Error('The framing page has no child frame for the console');
      // ...but Chromium refused to show the answer: the frame holds its error page, with none of the console.
      expect(frame.url()).toBe('chrome-error://chromewebdata/');
      expect(await frame.evaluate(() => document.URL)).toBe('chrome-error://chromewebdata/');
      expect(await frame.locator('#command').count()).toBe(0);
      // Because of these headers.
      expect(answer.headers()['x-frame-options']).toBe('DENY');
      expect(answer.headers()['content-security-policy']).toBe("frame-ancestors 'none'");
    } finally {
      await page.close();
    }
    // A cookie another site of the same domain set malformed (%E0 is not UTF-8) is ignored.
    const res = await fetch(`${consoleServer.base}/api/customers`, { headers: { cookie: 'rapport_session=%E0' } });
    expect(res.status).toBe(200);
  });

  it('with RAPPORT_CONSOLE_TOKEN, a remote browser opening ?token= gets the page, its CSS, JS and event stream', async () => {
    const lan = lanAddress();
    if (!lan) throw new Error('This test needs a non-loopback IPv4 interface to be a remote client.');
    const remoteWithUrl = await startConsoleServer(t.db, {
      host: lan,
      consoleToken: 'tok-abcdefghijklmnop',
      signIn: { publicUrl: new URL(`http://${lan}:0`) },
    });
    const page = await browser.newPage();
    const statuses = new Map<string, number>();
    page.on('response', (r) => statuses.set(new URL(r.url()).pathname, r.status()));
    try {
      // Without the token: refused.
      const bare = await fetch(`${remoteWithUrl.base}/console/app.js`);
      expect(bare.status).toBe(401);
      await page.goto(`${remoteWithUrl.base}/console?token=tok-abcdefghijklmnop`);
      expect(new URL(page.url()).search).toBe(''); // the token left the address bar; the cookie carries it
      await expect.poll(() => page.textContent('#stream-state')).toBe('live');
      for (const path of [
        '/console',
        '/console/style.css',
        '/console/app.js',
        '/console/render-reply.js',
        '/console/nav.js',
      ])
        expect(statuses.get(path), path).toBe(200);
      const color = await page.evaluate(() => getComputedStyle(document.querySelector('header')!).backgroundColor);
      expect(color).toBe('rgb(36, 59, 107)'); // style.css applied
      await page.fill('#command', 'help');
      await page.press('#command', 'Enter');
      await page.locator('#chat .reply-title', { hasText: 'Rapport commands' }).waitFor();
    } finally {
      await page.close();
      await remoteWithUrl.close();
    }
  });
});
