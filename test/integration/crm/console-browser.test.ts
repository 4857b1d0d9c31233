import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { launchChromium, startConsoleServer, typeInConsole, type ConsoleServer } from '../../helpers/console-server.ts';
import { ConsoleConnector } from '../../../connectors/console/console.connector.ts';

describe('console in headless Chromium', () => {
  let t: TestDatabase;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  const connector = new ConsoleConnector();

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    server = await startConsoleServer(t.db, { connector, timezone: 'Europe/Berlin' });
    base = server.base;
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.dispose();
  });

  const send = (command: string) => typeInConsole(page, command);

  it('logs, shows the timeline, reminds, lists follow-ups and marks one done', async () => {
    await page.goto(`${base}/console`);
    await expect.poll(() => page.textContent('#stream-state')).toBe('live');

    // A customer name with markup stays text: nothing is injected into the page.
    const created = await send('log "Acme <b>Ltd</b>" "Called Jo <img src=x onerror=alert(1)>" --new');
    await expect.poll(() => created.locator('.reply-title').textContent()).toBe('Logged for Acme <b>Ltd</b>');
    expect(await page.locator('#chat img').count()).toBe(0);

    await page.goto(`${base}/console/timeline?customer=${encodeURIComponent('acme ltd')}`);
    await page.locator('#timeline .record').first().waitFor();
    expect(await page.textContent('#company-name')).toBe('Acme <b>Ltd</b>');
    expect(await page.textContent('#timeline')).toContain('Called Jo <img src=x onerror=alert(1)>');

    await page.goto(`${base}/console`);
    const reminded = await send('remind "Acme <b>Ltd</b>" tomorrow 9am send the quote');
    await expect.poll(() => reminded.locator('.reply-title').textContent()).toMatch(/Follow-up #\d+ set/);

    const list = await send('followups');
    const item = list.locator('.section', { hasText: 'send the quote' });
    await expect.poll(() => item.locator('dd').nth(2).textContent()).toBe('open');
    await item.getByRole('button', { name: 'Done', exact: true }).click();
    const doneReply = page.locator('#chat > li .reply').last();
    await expect.poll(() => doneReply.locator('.reply-text').first().textContent()).toMatch(/send the quote: done\./);
    await expect.poll(() => doneReply.locator('.section dd').nth(2).textContent()).toBe('done');
    expect(await (await t.db.prisma.followUp.findFirstOrThrow({ where: { title: 'send the quote' } })).status).toBe(
      'done',
    );

    // The Snooze menu runs the chosen command; a posted reminder appears live in the team channel and updates in place.
    const second = await send('remind "Acme <b>Ltd</b>" friday call back');
    await second.getByRole('button', { name: 'Snooze', exact: true }).click();
    await second.getByRole('menuitem', { name: 'Tomorrow 9:00' }).click();
    await expect
      .poll(() => page.locator('#chat > li .reply').last().locator('.reply-text').first().textContent())
      .toMatch(/snoozed until/);

    const { externalId } = await connector.post('console:team', { text: 'Reminder: call back Acme', tone: 'info' });
    await page.locator('#feed li', { hasText: 'Reminder: call back Acme' }).waitFor();
    await connector.update('console:team', externalId, { text: 'Reminder handled by console', tone: 'success' });
    await page.locator('#feed li', { hasText: 'Reminder handled by console' }).waitFor();
    expect(await page.locator('#feed li').count()).toBe(1);
  });

  it('refuses cross-site browser requests and answers local ones', async () => {
    const res = await fetch(`${base}/api/command`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: JSON.stringify({ text: 'help' }),
    });
    expect(res.status).toBe(403);
    const ok = await fetch(`${base}/api/command`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'help' }),
    });
    expect((await ok.json()).title).toBe('Rapport commands');
  });
});
