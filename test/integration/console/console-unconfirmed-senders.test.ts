import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCustomer } from '../../../src/services/make-customer.service.ts';
import { launchChromium, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { strangerMail } from '../../helpers/unconfirmed-mail.ts';

// Issue 21: senders nobody answered are logged without a customer ("unconfirmed") and shown for a
// one-click "make customer". The CLI had it (`rapport mail unconfirmed`, `make-customer`); the team's
// app did not. In Chromium, against the console's real routes and a PostgreSQL database.
describe('console: senders not yet customers, made customers in one click', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    app = await startConsoleServer(t.db);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.dispose();
  });

  const row = (key: string) => page.locator(`#senders tbody tr[data-key="${key}"]`);

  it('lists them by domain (free mail by address), newest first; Make customer moves their conversations; a sender someone else took is said in words', async () => {
    const vendorRecord = await strangerMail(t.db, 'sales@vendor-one.example', 'Our catalogue', '2026-11-01T10:00:00Z');
    await strangerMail(t.db, 'ops@vendor-one.example', 'Delivery times', '2026-11-03T10:00:00Z');
    const bakeryRecord = await strangerMail(t.db, 'jo.baker@gmail.com', 'Order for 40 cakes', '2026-11-02T10:00:00Z');
    await strangerMail(t.db, 'sales@other-vendor.example', 'Partnership', '2026-10-30T10:00:00Z');

    await page.goto(`${app.base}/console/customers`);
    await page.getByRole('link', { name: 'Senders not yet customers' }).click();
    await page.waitForURL('**/console/senders');
    await expect.poll(() => page.textContent('#status')).toBe('3 senders not yet customers, newest mail first.');
    expect(
      await page.locator('#senders tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key'))),
    ).toEqual(['vendor-one.example', 'jo.baker@gmail.com', 'other-vendor.example']);
    const vendor = row('vendor-one.example');
    expect(await vendor.locator('td[data-label="People"]').textContent()).toBe('2');
    expect(await vendor.locator('td[data-label="Subjects"]').textContent()).toContain('Delivery times');

    // A company domain: every sender at it joins a new customer named after it.
    await vendor.getByRole('button', { name: 'Make vendor-one.example a customer' }).click();
    await expect.poll(() => page.textContent('#status')).toBe('Vendor One is a customer now.');
    expect(await vendor.locator('.done').textContent()).toBe(
      'Vendor One is a customer (new): 2 people, 2 conversations moved.',
    );
    const company = await t.db.prisma.company.findFirstOrThrow({ where: { name: 'Vendor One' } });
    expect(await vendor.getByRole('link', { name: 'Vendor One' }).getAttribute('href')).toBe(
      `/console/customer?id=${company.id}`,
    );
    expect((await t.db.prisma.communicationRecord.findUniqueOrThrow({ where: { id: vendorRecord } })).companyId).toBe(
      company.id,
    );

    // Free mail: the company takes the name typed (else the person's).
    const bakery = row('jo.baker@gmail.com');
    await bakery.getByRole('textbox', { name: 'Company name for jo.baker@gmail.com' }).fill("Jo's Bakery");
    await bakery.getByRole('button', { name: 'Make jo.baker@gmail.com a customer' }).click();
    await expect.poll(() => page.textContent('#status')).toBe("Jo's Bakery is a customer now.");
    const record = await t.db.prisma.communicationRecord.findUniqueOrThrow({
      where: { id: bakeryRecord },
      include: { company: true },
    });
    expect(record.company?.name).toBe("Jo's Bakery");

    // Someone else made the last one a customer after this page was loaded.
    await makeCustomer(t.db, 'other-vendor.example', { repId: 'someone-else', platform: 'cli' });
    const other = row('other-vendor.example');
    await other.getByRole('button', { name: 'Make other-vendor.example a customer' }).click();
    await expect
      .poll(() => page.textContent('#status'))
      .toBe(
        'Nobody at other-vendor.example is waiting any more: someone made them a customer, or their mail was erased. Reload the list.',
      );
    expect(await page.locator('#status').getAttribute('class')).toBe('status error');
    expect(await t.db.prisma.company.count({ where: { name: 'Other Vendor' } })).toBe(1);

    await page.reload();
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('Nobody is waiting: every sender is a customer, or was filtered as spam, bulk or a list.');
  });

  it('shows 200 senders a page, with the total, and pages through the rest', async () => {
    // A database and console of its own: the tests run in any order (CI shuffles them).
    const own = await createTestDatabase('postgres');
    const console2 = await startConsoleServer(own.db);
    try {
      await pagesThrough(own, console2);
    } finally {
      await console2.close();
      await own.dispose();
    }
  });

  async function pagesThrough(own: TestDatabase, app: ConsoleServer): Promise<void> {
    // 205 senders, one a minute: sender-0 wrote last.
    const start = Date.parse('2026-11-20T10:00:00Z');
    for (let i = 204; i >= 0; i--)
      await strangerMail(own.db, `info@sender-${i}.example`, `Hello ${i}`, new Date(start - i * 60_000).toISOString());
    await page.goto(`${app.base}/console/senders`);
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('205 senders not yet customers, newest mail first (1-200 here).');
    const keys = () =>
      page.locator('#senders tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect((await keys()).length).toBe(200);
    expect((await keys())[0]).toBe('sender-0.example');
    await page.getByRole('button', { name: 'Next ›' }).click();
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('205 senders not yet customers, newest mail first (201-205 here).');
    expect(await keys()).toEqual([200, 201, 202, 203, 204].map((i) => `sender-${i}.example`));
    expect(new URL(page.url()).search).toBe('?page=2');
    // A page past the end (the list shrank since the link was made) says so.
    await page.goto(`${app.base}/console/senders?page=9`);
    await expect
      .poll(() => page.textContent('#status'))
      .toBe('205 senders not yet customers; this page is past the last one.');
    const bad = await fetch(`${app.base}/api/unconfirmed-senders?offset=-3`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'offset must be a whole number of senders to skip, 0 or more (got "-3").',
    });
  }

  it('the API refuses a request without a sender, in words', async () => {
    const res = await fetch(`${app.base}/api/unconfirmed-senders/make-customer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: ' ' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Say which sender: a domain such as acme.com or an email address.' });
  });
});
