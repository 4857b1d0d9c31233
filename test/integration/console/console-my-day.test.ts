import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { refreshInsightSnapshots } from '../../../src/insights/insight-snapshots.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import {
  artifactPath,
  launchChromium,
  startConsoleServer,
  TEST_INSIGHTS,
  type ConsoleServer,
} from '../../helpers/console-server.ts';
import { HealthFixtures } from '../../helpers/customer-health-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// The rep's day must not end during the test: late in the UTC day, the rep lives three hours behind.
const LATE_UTC = new Date().getUTCHours() >= 22;
const REP_TIMEZONE = LATE_UTC ? 'Etc/GMT+3' : 'UTC';
const REP_OFFSET_HOURS = LATE_UTC ? -3 : 0;

// Issue 17's "done when": a rep signs in, sees their overdue follow-ups and at-risk customers on one
// page, opens a customer's health and the records behind it — on the zero-config database and on PostgreSQL.
describe.each(TEST_DATABASE_KINDS)('"My day" and customer health in headless Chromium (%s)', (kind) => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;
  let ria: { repId: string };
  let churnRecordId: string;
  let churny: string;
  let calm: string;

  let fixtures: HealthFixtures;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fixtures = new HealthFixtures(t.db);
    app = await startConsoleServer(t.db);
    browser = await launchChromium();
    ria = await createConsoleAccount(t.db, {
      username: 'ria',
      password: 'ria password 123',
      role: 'rep',
      timezone: REP_TIMEZONE,
    });
    const kim = await findOrCreateRep(t.db.prisma, { platform: 'console', platformUserId: 'kim', timezone: 'UTC' });
    churny = await fixtures.company('Churny Co');
    calm = await fixtures.company('Calm Co');
    const issue = await fixtures.company('Glitchy Co');
    churnRecordId = await fixtures.conversation(
      churny,
      'Cancelling at renewal',
      'We are going to cancel our contract at renewal.',
      2,
      'churn',
      -0.7,
    );
    await fixtures.conversation(
      churny,
      'Looking at other vendors',
      'We are evaluating other vendors.',
      3,
      'churn',
      -0.5,
    );
    await fixtures.conversation(calm, 'Thanks', 'All good here, thank you!', 1, 'other', 0.6, true);
    // Healthy, and after Dormant Co and Quiet Co (nothing to score) by name: sorted by health, before them.
    const zen = await fixtures.company('Zen Co');
    await fixtures.conversation(zen, 'Renewed', 'Renewed for two years, thanks!', 2, 'feedback', 0.8, true);
    await fixtures.conversation(issue, 'Export broken', 'The export button gives an error.', 1, 'issue', -0.1, true);
    // Due today in the rep's timezone: halfway between now and their midnight (at least a minute ahead).
    const midnight = new Date(Date.now() + REP_OFFSET_HOURS * HOUR);
    midnight.setUTCHours(24, 0, 0, 0);
    midnight.setTime(midnight.getTime() - REP_OFFSET_HOURS * HOUR);
    const dueToday = new Date(Date.now() + Math.max(60_000, (midnight.getTime() - Date.now()) / 2));
    await fixtures.followUp(churny, 'Call Churny Co back about renewal', new Date(Date.now() - DAY), ria.repId);
    await fixtures.followUp(calm, 'Send Calm Co the invoice', new Date(Date.now() - 2 * HOUR), ria.repId);
    await fixtures.followUp(churny, 'Send Churny Co a proposal', dueToday, ria.repId);
    await fixtures.followUp(calm, 'Next quarter review', new Date(Date.now() + 20 * DAY), ria.repId);
    await fixtures.followUp(issue, "Kim's overdue call", new Date(Date.now() - 5 * HOUR), kim.id);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.dispose();
  });

  const signIn = async (page: Page) => {
    await page.goto(`${app.base}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await page.fill('#username', 'ria');
    await page.fill('#password', 'ria password 123');
    await page.click('#password-form button[type="submit"]');
    // Signing in lands on "My day", not on the chat.
    await page.waitForURL(`${app.base}/console/today`);
  };

  it('a rep signs in, sees their overdue and due-today follow-ups and the at-risk customers, acts on them, and opens a customer’s health and the records behind it', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page);
      const overdue = page.locator('#overdue > li.day-item');
      const today = page.locator('#due-today > li.day-item');
      await expect.poll(() => overdue.count(), { timeout: 30_000 }).toBe(2);
      expect(await overdue.first().textContent()).toContain('Call Churny Co back about renewal');
      expect(await page.textContent('#overdue')).toContain('Send Calm Co the invoice');
      expect(await today.count()).toBe(1);
      expect(await today.first().textContent()).toContain('Send Churny Co a proposal');
      // Only the signed-in rep's: Kim's overdue call and Ria's follow-up due in 20 days are not on her day.
      const day = await page.textContent('main');
      expect(day).not.toContain("Kim's overdue call");
      expect(day).not.toContain('Next quarter review');

      // At risk: Churny Co first, with its score and the reason that weighs most.
      const risky = page.locator('#at-risk > li.day-item');
      await expect.poll(() => risky.count()).toBeGreaterThan(0);
      expect(await risky.first().locator('a').textContent()).toBe('Churny Co');
      expect(await risky.first().textContent()).toMatch(/health \d+/);
      expect(await risky.first().locator('.reason').textContent()).toContain('2 messages labelled churn');
      expect(await page.textContent('#at-risk')).not.toContain('Calm Co');
      await page.screenshot({ path: artifactPath(`console-my-day-${kind}.png`), fullPage: true });

      // Done and snooze from the page itself, through the same command grammar as everywhere.
      await page
        .getByRole('button', { name: /^Done #\d+$/ })
        .nth(1)
        .click(); // the Calm Co invoice
      await expect.poll(() => page.textContent('#status')).toMatch(/^#\d+ marked done\.$/);
      await expect.poll(() => overdue.count()).toBe(1);
      await page
        .locator('#due-today')
        .getByRole('button', { name: /^Snooze #\d+$/ })
        .click();
      await expect.poll(() => page.textContent('#status')).toMatch(/snoozed until tomorrow 9:00/);
      const [invoice, proposal] = await Promise.all([
        t.db.prisma.followUp.findFirstOrThrow({ where: { title: 'Send Calm Co the invoice' } }),
        t.db.prisma.followUp.findFirstOrThrow({ where: { title: 'Send Churny Co a proposal' } }),
      ]);
      expect(invoice.status).toBe('done');
      expect(proposal.status).toBe('snoozed');
      expect(proposal.dueAt.getTime()).toBeGreaterThan(Date.now());
      await expect.poll(() => today.count()).toBe(0);

      // Open the at-risk customer: its health, every reason, and the records behind them.
      await risky.first().locator('a').click();
      await page.waitForURL(/\/console\/customer\?id=/);
      const health = page.locator('#health');
      await health.waitFor({ state: 'visible' });
      const scoreText = await page.textContent('#health-score');
      const api = (await (await page.request.get(`${app.base}/api/customers/${churny}/health`)).json()) as {
        health: number;
        risk: number;
        atRisk: boolean;
        reasons: { code: string; points: number }[];
      };
      expect(api.atRisk).toBe(true);
      expect(api.health).toBe(100 - api.risk);
      expect(api.risk).toBe(api.reasons.reduce((s, r) => s + r.points, 0));
      expect(scoreText).toContain(`${api.health} / 100`);
      const churnReason = page.locator('#health-reasons > li[data-code="churn-label"]');
      expect(await churnReason.textContent()).toContain('2 messages labelled churn');
      expect(await churnReason.locator('.evidence li').count()).toBe(2);
      const overdueReason = page.locator('#health-reasons > li[data-code="overdue"]');
      expect(await overdueReason.textContent()).toContain('Call Churny Co back about renewal');
      // A record behind the reason opens in the customer's timeline, marked.
      await churnReason.getByRole('link', { name: /Cancelling at renewal/ }).click();
      await expect.poll(() => new URL(page.url()).hash).toBe(`#record-${churnRecordId}`);
      const record = page.locator(`#record-${churnRecordId}`);
      await expect.poll(() => record.getAttribute('class')).toContain('linked');
      expect(await record.textContent()).toContain('We are going to cancel our contract at renewal.');
      expect(await record.isVisible()).toBe(true);
      await page.screenshot({ path: artifactPath(`console-customer-health-${kind}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('the customers list has a health column and sorts by health (most at risk first, every customer kept)', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    // A customer nobody has heard from: nothing to score.
    const dormantId = await fixtures.company('Dormant Co');
    try {
      await signIn(page);
      await page.goto(`${app.base}/console/customers`);
      await expect.poll(() => page.locator('#columns th').allTextContents()).toContain('Health');
      await page.selectOption('#sort', 'health');
      const names = () => page.locator('#customers tbody tr td:first-child a').allTextContents();
      // Quiet Co (nothing to score) exists when the test that makes it ran first: tests shuffle in CI.
      const scored = async () => (await names()).filter((n) => n !== 'Quiet Co' && n !== 'Dormant Co');
      await expect.poll(scored).toEqual(['Churny Co', 'Glitchy Co', 'Calm Co', 'Zen Co']);
      const row = (name: string) => page.locator('#customers tbody tr', { hasText: name });
      const healthOf = async (name: string) =>
        Number(await row(name).locator('td[data-label="Health"] .score').textContent());
      expect(await healthOf('Calm Co')).toBeGreaterThan(await healthOf('Glitchy Co'));
      expect(await healthOf('Churny Co')).toBeLessThan(await healthOf('Glitchy Co'));
      expect(await row('Churny Co').textContent()).toContain('at risk');
      expect(await row('Glitchy Co').locator('.reason').textContent()).toContain('1 message labelled issue');
      // Not scored is not healthy: no number, and why on hover (before, it read a healthy 100).
      const dormant = row('Dormant Co').locator('td[data-label="Health"]');
      expect(await dormant.textContent()).toBe('— not scored');
      expect(await dormant.getAttribute('title')).toMatch(/^Not scored: no message or logged call/);
      // After every scored customer, the healthy Zen Co too (it was listed among them by name).
      expect((await names()).indexOf('Dormant Co')).toBeGreaterThan((await names()).indexOf('Zen Co'));
      await page.screenshot({ path: artifactPath(`console-customers-health-${kind}.png`), fullPage: true });
      expect(new URL(page.url()).searchParams.get('sort')).toBe('health');
      // Dormant Co's page: "Not scored" and why, no number.
      await page.goto(`${app.base}/console/customer?id=${dormantId}`);
      await page.locator('#health').waitFor({ state: 'visible' });
      const dormantScore = await page.textContent('#health-score');
      expect(dormantScore).toBe(
        'Not scored No message or logged call from this customer in the last 180 days and no overdue follow-up.',
      );
      expect(dormantScore).not.toMatch(/\/ 100/);
    } finally {
      await context.close();
    }
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const small = await phone.newPage();
    try {
      await signIn(small);
      await small.locator('#at-risk > li.day-item').first().waitFor();
      expect(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await small.screenshot({ path: artifactPath(`console-my-day-390-${kind}.png`), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('answers a sentence for an unknown customer and "not scored" (no number, no reasons) for a customer with nothing to score', async () => {
    const quiet = await fixtures.company('Quiet Co');
    const cookie = await (async () => {
      const res = await fetch(`${app.base}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'ria', password: 'ria password 123', next: '/console' }),
      });
      expect(res.headers.get('location')).toBe('/console/today');
      return (res.headers.get('set-cookie') ?? '').split(';')[0];
    })();
    const get = (path: string) => fetch(`${app.base}${path}`, { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    const unknown = await get('/api/customers/00000000-0000-4000-8000-000000000000/health');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toBe('That customer does not exist (any more).');
    const none = await (await get(`/api/customers/${quiet}/health`)).json();
    expect(none).toMatchObject({ health: null, risk: null, atRisk: false, reasons: [] });
    expect(none.note).toBe(
      'Not scored: no message or logged call from this customer in the last 180 days and no overdue follow-up.',
    );
    expect(none.whyNotScored).toBe(
      'No message or logged call from this customer in the last 180 days and no overdue follow-up.',
    );
    const calmHealth = await (await get(`/api/customers/${calm}/health`)).json();
    expect(calmHealth.atRisk).toBe(false);

    // Once the refresh-insights job has stored a snapshot, the team-wide figures come from it.
    await refreshInsightSnapshots(t.db, TEST_INSIGHTS, new Date(), ['30d']);
    const day = await (await get('/api/my-day')).json();
    expect(day.atRisk.source).toBe('snapshot');
    expect(day.atRisk.customers[0]).toMatchObject({ name: 'Churny Co' });
    expect(day.atRisk.customers[0].reason).toContain('2 messages labelled churn');
    const list = await (await get('/api/customers?sort=health')).json();
    expect(list.customers[0].name).toBe('Churny Co');
    // Quiet Co has nothing to score (not in the snapshot): not scored (not a healthy 100), listed after
    // every scored customer, the healthy Zen Co too.
    const order = list.customers.map((c: { name: string }) => c.name);
    expect(order.indexOf('Quiet Co')).toBeGreaterThan(order.indexOf('Zen Co'));
    expect(list.customers.find((c: { name: string }) => c.name === 'Quiet Co')).toMatchObject({
      name: 'Quiet Co',
      health: { health: null, risk: null, atRisk: false, reason: expect.stringMatching(/^Not scored: /) },
    });
    const bad = await get('/api/customers?sort=mood');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('Sort by one of: last_contact, least_recent, name, health (got "mood").');
  });
});
