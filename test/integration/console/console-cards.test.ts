import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactPath,
  launchChromium,
  startConsoleServer,
  typeInConsole,
  type ConsoleServer,
} from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// Issue 17: menus close, a card shows at most 3 buttons plus a menu, no window.prompt, usable at 390 px.
describe('console cards in headless Chromium at 390 px', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    app = await startConsoleServer(t.db);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.dispose();
  });

  const send = (command: string) => typeInConsole(page, command);

  it('a follow-up card: 3 buttons and a menu; Snooze and More menus open and close; Reassign asks inline', async () => {
    await page.goto(`${app.base}/console`);
    await send('log "Phone Co" "Asked for a demo" --new');
    const card = await send('remind "Phone Co" tomorrow 9am send the demo link');
    const row = card.locator('.buttons').first();
    // Done, Snooze (menu), Reassign, More (menu): never the old seven buttons in a row.
    await expect
      .poll(() => row.locator(':scope > button, :scope > .menu-wrap > button').allTextContents())
      .toEqual(['Done', 'Snooze', 'Reassign', 'More ▾']);

    const snooze = row.getByRole('button', { name: 'Snooze', exact: true });
    const snoozeMenu = row.locator('.menu').first();
    await snooze.click();
    await expect.poll(() => snoozeMenu.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => snoozeMenu.isVisible()).toBe(false);
    await snooze.click();
    await page.locator('h2').first().click(); // a click elsewhere closes it too
    await expect.poll(() => snoozeMenu.isVisible()).toBe(false);
    await snooze.click();
    await row.getByRole('menuitem', { name: 'Tomorrow 9:00' }).click();
    await expect.poll(() => snoozeMenu.isVisible()).toBe(false);
    await expect
      .poll(() => page.locator('#chat > li .reply').last().locator('.reply-text').first().textContent())
      .toMatch(/snoozed until/);

    // "Other time…" and Reassign ask for text in the card, not in a browser prompt.
    const card2 = await send('remind "Phone Co" friday call back');
    const row2 = card2.locator('.buttons').first();
    await row2.getByRole('button', { name: 'Reassign', exact: true }).click();
    await card2.getByRole('textbox', { name: 'Reassign' }).fill('@kim');
    await card2.getByRole('textbox', { name: 'Reassign' }).press('Enter');
    await expect.poll(() => page.locator('#chat > li .reply').last().textContent()).toMatch(/kim/);
    await row2.getByRole('button', { name: 'More ▾' }).click();
    await expect.poll(() => row2.getByRole('menuitem', { name: 'Dismiss' }).isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => row2.getByRole('menuitem', { name: 'Dismiss' }).isVisible()).toBe(false);
    expect(dialogs).toEqual([]);

    // 390 px: nothing wider than the screen.
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
    await page.screenshot({ path: artifactPath('console-chat-390.png'), fullPage: true });
  });
});
