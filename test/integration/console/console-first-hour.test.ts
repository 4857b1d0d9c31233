import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { createConsoleRouter } from '../../../connectors/console/console.router.ts';
import { ConsoleConnector } from '../../../connectors/console/console.connector.ts';
import { SecretBox } from '../../../src/db/secret-box.ts';

// Issue 20 in the console, in Chromium: a console user sets their own timezone (the server's
// RAPPORT_TIMEZONE is only the default), and the timeline says how many follow-ups it does not show.
describe('console in headless Chromium: timezone setting and counts', () => {
  let t: TestDatabase;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    const app = express();
    app.use(
      createConsoleRouter({
        executeCommand: (text, ctx) => executeCommand(text, ctx, { db: t.db, hooks: noopPipelineHooks }),
        db: t.db,
        timezone: 'UTC',
        connector: new ConsoleConnector(),
        slackUsers: { secrets: new SecretBox() },
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.dispose();
  });

  const send = async (command: string) => {
    const before = await page.locator('#chat > li .reply').count();
    await page.fill('#command', command);
    await page.press('#command', 'Enter');
    await page.locator('#chat > li .reply').nth(before).waitFor();
    return page.locator('#chat > li .reply').nth(before);
  };

  it('reads "tomorrow 9am" in the timezone the user set, not the server default', async () => {
    await t.db.prisma.company.create({
      data: { name: 'Berlin Bikes', normalizedName: normalizeCompanyName('Berlin Bikes') },
    });
    await page.goto(`${base}/console`);
    const set = await send('timezone Europe/Berlin');
    await expect.poll(() => set.textContent()).toContain('Your timezone is now Europe/Berlin');
    const reminded = await send('remind "Berlin Bikes" tomorrow 9am call Anna');
    await expect.poll(() => reminded.locator('.reply-title').textContent()).toMatch(/Follow-up #\d+ set/);
    const f = await t.db.prisma.followUp.findFirstOrThrow({ where: { title: 'call Anna' } });
    const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' });
    expect(berlin.format(f.dueAt)).toBe('09:00');
    // Reloading the page (a new request each time) keeps the setting: it is stored on the rep.
    await page.reload();
    await expect.poll(async () => (await send('timezone')).textContent()).toContain('Your timezone is Europe/Berlin');
  });

  it('the timeline counts every open follow-up and says how many it does not show', async () => {
    const company = await t.db.prisma.company.create({
      data: { name: 'Busy Buyers', normalizedName: normalizeCompanyName('Busy Buyers') },
    });
    await t.db.prisma.followUp.createMany({
      data: Array.from({ length: 230 }, (_, i) => ({
        companyId: company.id,
        title: `task ${i}`,
        dueAt: new Date(Date.now() + (i + 1) * 3_600_000),
        status: 'open' as const,
        source: 'manual' as const,
      })),
    });
    await page.goto(`${base}/console/timeline?customer=${encodeURIComponent('busy buyers')}`);
    await page.locator('#followups .followup').first().waitFor();
    expect(await page.textContent('#summary')).toContain('230 open follow-ups');
    expect(await page.locator('#followups .followup').count()).toBe(200);
    expect(await page.textContent('#followups')).toContain('…and 30 more open follow-ups');
  });
});
