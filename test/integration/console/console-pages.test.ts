import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { artifactPath, launchChromium, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

const HOUR = 3_600_000;

// Issue 17: every page of the console in Chromium (zero-config localhost: the operator "console").
describe('console pages in headless Chromium', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let phone: Page;

  /** A customer with `records` logged conversations, the newest `hoursAgo` hours ago. */
  const seedCustomer = async (name: string, hoursAgo: number, records = 1, db = t.db) => {
    const company = await db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name) } });
    for (let i = 0; i < records; i++) {
      const at = new Date(Date.now() - (hoursAgo + i) * HOUR);
      await db.prisma.communicationRecord.create({
        data: {
          companyId: company.id,
          channelKind: 'call',
          sourceKey: `test:${company.id}:${i}`,
          startedAt: at,
          lastMessageAt: at,
          messages: {
            create: {
              externalId: `test:${company.id}:${i}`,
              direction: 'inbound',
              text: `Call number ${i + 1} with ${name}`,
              cleanText: `Call number ${i + 1} with ${name}`,
              sentAt: at,
            },
          },
        },
      });
    }
    return company;
  };

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    app = await startConsoleServer(t.db);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
    phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.dispose();
  });

  it('customers: search, sort by last contact or name, paging', async () => {
    // The whole list is counted and sorted: a database and console of its own, whatever other tests add.
    const own = await createTestDatabase('pglite');
    const ownApp = await startConsoleServer(own.db);
    try {
      for (let i = 0; i < 28; i++) await seedCustomer(`Paged ${String(i).padStart(2, '0')}`, 10 + i, 1, own.db);
      await seedCustomer('Zeta Freshest', 1, 1, own.db);
      await page.goto(`${ownApp.base}/console/customers`);
      const rows = page.locator('#customers tbody tr');
      await expect.poll(() => rows.count()).toBe(25);
      expect(await rows.first().locator('td').first().textContent()).toContain('Zeta Freshest');
      expect(await page.textContent('#pages')).toContain('page 1 of 2');
      await page.getByRole('button', { name: 'Next ›' }).click();
      await expect.poll(() => rows.count()).toBe(4);
      expect(await rows.last().textContent()).toContain('Paged 27'); // the one contacted longest ago

      await page.selectOption('#sort', 'least_recent');
      await expect.poll(() => rows.first().locator('td').first().textContent()).toContain('Paged 27');
      await page.selectOption('#sort', 'name');
      await expect.poll(() => rows.first().locator('td').first().textContent()).toContain('Paged 00');
      await page.fill('#q', 'zeta');
      await expect.poll(() => rows.count()).toBe(1);
      expect(await page.textContent('#status')).toBe('1 customer');
      await phone.goto(`${ownApp.base}/console/customers`);
      await phone.locator('#customers tbody tr').first().waitFor();
      await phone.screenshot({ path: artifactPath('console-customers-390.png'), fullPage: true });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: artifactPath('console-customers.png'), fullPage: true });
    } finally {
      await ownApp.close();
      await own.dispose();
    }
  });

  it('a customer: domains and contacts edited, timeline paged, follow-ups, export downloaded as a file', async () => {
    const company = await seedCustomer('Orbit Labs', 2, 60);
    await page.goto(`${app.base}/console/customer?id=${company.id}`);
    await expect.poll(() => page.textContent('#company-name')).toBe('Orbit Labs');
    await expect.poll(() => page.locator('#timeline .record').count()).toBe(50);
    expect(await page.locator('#timeline .record').first().textContent()).toContain('Call number 1 with');
    await page.locator('#pages').getByRole('button', { name: 'Next ›' }).click();
    await expect.poll(() => page.locator('#timeline .record').count()).toBe(10);
    expect(await page.locator('#timeline .record').last().textContent()).toContain('Call number 60 with');

    // Domains: a company domain is added; a free-mail domain is refused with a sentence.
    await page.fill('#add-domain input', 'gmail.com');
    await page.click('#add-domain button');
    await expect.poll(() => page.textContent('#status')).toContain('not a company domain');
    await page.fill('#add-domain input', 'orbit-labs.example');
    await page.click('#add-domain button');
    await expect.poll(() => page.textContent('#domains')).toContain('orbit-labs.example');

    // Contacts: add, edit, remove.
    await page.fill('#add-contact input[name="name"]', 'Ola Orbit');
    await page.fill('#add-contact input[name="email"]', 'ola@orbit-labs.example');
    await page.click('#add-contact button');
    const contact = page.locator('#contacts .contact', { hasText: 'Ola Orbit' });
    await contact.waitFor();
    await contact.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Ola Nordmann');
    await page.getByLabel('Phones (comma separated)').fill('+47 22 00 00 00');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#contacts .contact', { hasText: 'Ola Nordmann' }).waitFor();
    const stored = await t.db.prisma.contact.findFirstOrThrow({ where: { companyId: company.id } });
    expect(stored).toMatchObject({
      name: 'Ola Nordmann',
      emails: ['ola@orbit-labs.example'],
      phones: ['+47 22 00 00 00'],
    });
    page.once('dialog', (d) => void d.accept());
    await page
      .locator('#contacts .contact', { hasText: 'Ola Nordmann' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect.poll(() => page.textContent('#contacts')).toContain('No contacts yet');

    // Export: a file, not a page.
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('Orbit Labs.csv');
    const csv = readFileSync((await file.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('"company","record_id"'); // the header row first
    expect(csv).toContain('Call number 60 with Orbit Labs');
    await page.screenshot({ path: artifactPath('console-customer.png'), fullPage: true });
    await phone.goto(`${app.base}/console/customer?id=${company.id}`);
    await phone.locator('#timeline .record').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.screenshot({ path: artifactPath('console-customer-390.png') });
  });

  it('follow-ups: mine, overdue, today, all; bulk done and snooze', async () => {
    const company = await seedCustomer('Due Co', 5);
    const me = await findOrCreateRep(t.db.prisma, {
      platform: 'console',
      platformUserId: 'console',
      displayName: 'console',
      timezone: 'UTC',
      timezoneIsDefault: true,
    });
    const other = await findOrCreateRep(t.db.prisma, { platform: 'console', platformUserId: 'kim', timezone: 'UTC' });
    const make = (title: string, dueInHours: number, assigneeRepId: string) =>
      t.db.prisma.followUp.create({
        data: {
          companyId: company.id,
          title,
          dueAt: new Date(Date.now() + dueInHours * HOUR),
          assigneeRepId,
          status: 'open',
          source: 'manual',
        },
      });
    const late1 = await make('Late one', -48, me.id);
    const late2 = await make('Late two', -24, me.id);
    await make('Later mine', 24 * 10, me.id);
    await make('Kim overdue', -5, other.id);

    await page.goto(`${app.base}/console/followups`);
    const rows = page.locator('#followups tbody tr');
    await expect.poll(() => rows.count()).toBe(3); // mine
    await page.getByRole('button', { name: 'Overdue' }).click();
    await expect.poll(() => rows.count()).toBe(3); // both of mine and Kim's
    await page.getByRole('button', { name: 'All' }).click();
    await expect.poll(() => rows.count()).toBe(4);
    await page.getByRole('button', { name: 'Today' }).click();
    await expect.poll(() => rows.count()).toBe(2); // mine due before tomorrow: the two late ones

    await page.getByRole('checkbox', { name: 'Select all shown' }).check();
    await page.getByRole('button', { name: 'Mark done' }).click();
    await expect.poll(() => page.textContent('#status')).toBe('2 follow-ups marked done.');
    const statuses = await t.db.prisma.followUp.findMany({
      where: { id: { in: [late1.id, late2.id] } },
      select: { status: true },
    });
    expect(statuses.map((s) => s.status)).toEqual(['done', 'done']);

    await page.getByRole('button', { name: 'Overdue' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('checkbox', { name: /Kim overdue/ }).check();
    await page.selectOption('#bulk-when', 'next monday 9:00');
    await page.getByRole('button', { name: 'Snooze' }).click();
    await expect.poll(() => page.textContent('#status')).toBe('1 follow-up snoozed.');
    const kim = await t.db.prisma.followUp.findFirstOrThrow({ where: { title: 'Kim overdue' } });
    expect(kim.status).toBe('snoozed');
    expect(kim.dueAt.getTime()).toBeGreaterThan(Date.now());
    await page.getByRole('button', { name: 'All' }).click();
    await page.screenshot({ path: artifactPath('console-followups.png'), fullPage: true });
    await phone.goto(`${app.base}/console/followups?view=all`);
    await phone.locator('#followups tbody tr').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.screenshot({ path: artifactPath('console-followups-390.png'), fullPage: true });
  });

  it('the live channel page shows posts and updates as they happen, and links to insights', async () => {
    await page.goto(`${app.base}/console/channel`);
    await expect.poll(() => page.textContent('#stream-state')).toBe('live');
    const { externalId } = await app.connector.post('console:team', {
      text: 'Reminder: call Orbit Labs',
      tone: 'info',
    });
    await page.locator('#feed li', { hasText: 'Reminder: call Orbit Labs' }).waitFor();
    await app.connector.update('console:team', externalId, { text: 'Done by Kim', tone: 'success' });
    await page.locator('#feed li', { hasText: 'Done by Kim' }).waitFor();
    expect(await page.locator('#feed li').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Insights' }).getAttribute('href')).toBe('/console/insights');
    await page.screenshot({ path: artifactPath('console-channel.png') });
  });

  it('every page carries the same navigation, its own page marked, so no page is a dead end', async () => {
    const pages = [
      '/console/today',
      '/console',
      '/console/customers',
      '/console/followups',
      '/console/insights',
      '/console/channel',
    ];
    const failed: string[] = [];
    const errors: string[] = [];
    const onResponse = (r: { status(): number; url(): string }) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    };
    const onConsole = (m: { type(): string; text(): string }) => {
      if (m.type() === 'error') errors.push(m.text());
    };
    page.on('response', onResponse);
    page.on('console', onConsole);
    for (const path of pages) {
      await page.goto(`${app.base}${path}`);
      const nav = page.getByRole('navigation', { name: 'Console pages' });
      await nav.waitFor();
      expect(await nav.getByRole('link').allTextContents(), path).toEqual([
        'My day',
        'Chat',
        'Customers',
        'Follow-ups',
        'Insights',
        'Team channel',
      ]);
      expect(await nav.locator('[aria-current="page"]').getAttribute('href'), path).toBe(path);
    }
    page.off('response', onResponse);
    page.off('console', onConsole);
    // Nothing a page asks for is missing (a browser asks for /favicon.ico unless the page names an icon).
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
  });
});
