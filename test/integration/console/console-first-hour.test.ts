import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { launchChromium, startConsoleServer, typeInConsole, type ConsoleServer } from '../../helpers/console-server.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';

// Issue 20 in the console, in Chromium: a console user sets their own timezone (the server's
// RAPPORT_TIMEZONE is only the default), and the timeline says how many follow-ups it does not show.
describe('console in headless Chromium: timezone setting and counts', () => {
  let t: TestDatabase;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    server = await startConsoleServer(t.db, { timezone: 'UTC' });
    base = server.base;
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.dispose();
  });

  const send = (command: string) => typeInConsole(page, command);

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
