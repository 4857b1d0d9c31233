import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { createInsightsRouter } from '../../../connectors/console/insights.router.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { writeHistory, type GeneratedHistory } from '../../../bench/insights-history.ts';

const NOW = new Date('2026-11-30T15:00:00Z'); // a Monday
const D = 86_400_000;
const H = 3_600_000;
const SETTINGS = { businessHours: DEFAULT_BUSINESS_HOURS, responseTargetMinutes: 240, publicUrl: 'http://x' };

/** What ECharts was asked to draw in a chart box of the page. */
type ChartOption = {
  xAxis: { data?: string[] }[];
  yAxis: { data?: string[] }[];
  series: { name: string; data: unknown[] }[];
};

describe('the insights page says what its figures rest on (PGlite, real Chromium)', () => {
  let t: TestDatabase;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    const h: GeneratedHistory = { companies: [], records: [], messages: [], classifications: [], followUps: [] };
    const big = randomUUID();
    h.companies.push({ id: big, name: 'BigCo', willChurn: false });
    const say = (at: Date, text: string, channel: string, sentiment: number, reply?: Date) => {
      const rid = randomUUID();
      const mid = randomUUID();
      h.records.push({ id: rid, companyId: big, channelKind: channel, subject: 's', startedAt: at, lastMessageAt: at });
      h.messages.push({
        id: mid,
        recordId: rid,
        direction: 'inbound',
        authorName: 'B',
        authorEmail: 'b@big.example',
        text,
        sentAt: at,
      });
      h.classifications.push({ recordId: rid, messageId: mid, label: 'need', sentiment });
      if (reply)
        h.messages.push({
          id: randomUUID(),
          recordId: rid,
          direction: 'outbound',
          authorName: 'Ann',
          authorEmail: 'ann@ours.example',
          text: 'Answer',
          sentAt: reply,
        });
    };
    const texts = ['The invoice total is wrong again', 'Login fails after password reset', 'When will the order ship'];
    // 1,500 Teams messages nobody answered, in two bursts: Tuesday-Wednesday and Saturday-Sunday (no
    // message on Thursday or Friday).
    for (let i = 0; i < 1500; i++) {
      const at = new Date(NOW.getTime() - 6 * D + (i < 750 ? i : (4 * D) / 100_000 + i - 750) * 100_000);
      say(at, `${texts[i % 3]} ${i}`, 'teams', i < 750 ? 0.5 : -0.5);
    }
    // Six emails answered within the hour on Tuesday, and invoices alone the week before.
    for (let i = 0; i < 6; i++) {
      const at = new Date(NOW.getTime() - 6 * D - 5 * H + i * 600_000);
      say(at, 'Question about the invoice total', 'email', 0.2, new Date(at.getTime() + H));
    }
    for (let i = 0; i < 40; i++)
      say(new Date(NOW.getTime() - 12 * D + i * H), `The invoice total is wrong again ${i}`, 'teams', 0);
    await writeHistory(t.db, h);
    const app = express();
    app.use(createInsightsRouter({ db: t.db, settings: SETTINGS, now: () => NOW }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(`${base}/console/insights?since=7d`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Updated'), null, {
      timeout: 60_000,
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await t?.dispose();
  });

  const optionOf = (id: string) =>
    page.evaluate(
      (box) =>
        (
          globalThis as unknown as {
            echarts: { getInstanceByDom: (e: Element | null) => { getOption: () => unknown } };
          }
        ).echarts
          .getInstanceByDom(document.getElementById(box))
          .getOption(),
      id,
    ) as Promise<ChartOption>;
  /** The tooltip a manager sees pointing at `category` on the chart's category axis (`x` or `y`). */
  const tooltipAt = async (id: string, axis: 'x' | 'y', category: string) => {
    await page.evaluate(
      ([box, which, at]) => {
        type Chart = {
          convertToPixel: (finder: Record<string, number>, value: string | number) => number;
          dispatchAction: (a: unknown) => void;
        };
        const chart = (
          globalThis as unknown as { echarts: { getInstanceByDom: (e: Element | null) => Chart } }
        ).echarts.getInstanceByDom(document.getElementById(box));
        const along = chart.convertToPixel(which === 'x' ? { xAxisIndex: 0 } : { yAxisIndex: 0 }, at);
        const across = chart.convertToPixel(which === 'x' ? { yAxisIndex: 0 } : { xAxisIndex: 0 }, 0);
        chart.dispatchAction(
          which === 'x' ? { type: 'showTip', x: along, y: across } : { type: 'showTip', x: across + 5, y: along },
        );
      },
      [id, axis, category] as const,
    );
    await page.waitForTimeout(200);
    return page.evaluate(
      (box) =>
        [...(document.getElementById(box)?.querySelectorAll('div') ?? [])]
          .filter((d) => d.style.zIndex === '9999999' && d.style.display !== 'none')
          .map((d) => d.textContent)
          .join('\n'),
      id,
    );
  };

  it("lists each topic's estimated messages in the period and compares the periods on shares, not on two samples' counts", async () => {
    const api = await (await fetch(`${base}/api/insights/topics?since=7d`)).json();
    const g = api.overall;
    expect(g).toMatchObject({ total: 1506, sampled: 1000, previousTotal: 40 });
    const text = (await page.locator('#topics').textContent()) ?? '';
    expect(text).toContain('topic counts estimated from a sample of 1,000');
    for (const topic of g.topics) {
      expect(text).toContain(`~${topic.estimatedMessages.toLocaleString('en-US')} messages`);
      expect(text).not.toContain(` ${topic.messages} messages`);
    }
    const chart = await optionOf('topics-chart');
    expect(chart.xAxis[0]).toMatchObject({ name: '% of messages' });
    const series = Object.fromEntries(chart.series.map((s) => [s.name, s.data]));
    expect(series['this period']).toEqual(g.topics.map((x: { share: number }) => Math.round(x.share * 1000) / 10));
    expect(series['previous period']).toEqual(
      g.topics.map((x: { previousShare: number }) => Math.round(x.previousShare * 1000) / 10),
    );
  });

  it('draws no bar for a channel nobody answered and says "no replies" (a 0 bar read as the fastest)', async () => {
    const chart = await optionOf('response-chart');
    const labels = chart.yAxis[0].data ?? [];
    const teams = labels.indexOf('channel teams (no replies)');
    expect(teams, labels.join(' | ')).toBeGreaterThanOrEqual(0);
    const median = chart.series.find((s) => s.name === 'median')!;
    expect(median.data[teams]).toBeNull();
    expect(chart.series.find((s) => s.name === 'p90')!.data[teams]).toBeNull();
    const email = labels.indexOf('channel email');
    expect(median.data[email]).toBe(60);
    expect(await tooltipAt('response-chart', 'y', labels[teams])).toMatch(/no replies/);
    expect(await tooltipAt('response-chart', 'y', 'channel email')).toMatch(/6 replies/);
  });

  it('draws the satisfaction trend on every day of the period, days without messages as gaps, each point with its messages', async () => {
    const api = await (await fetch(`${base}/api/insights/satisfaction?since=7d&by=team`)).json();
    const chart = await optionOf('satisfaction-chart');
    const days = chart.xAxis[0].data ?? [];
    // Monday 23 to Monday 30 November (UTC days), Thursday and Friday included though nobody wrote.
    expect(days).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
    ]);
    const series = chart.series[0].data;
    expect(series[days.indexOf('2026-11-26')]).toBeNull();
    expect(series[days.indexOf('2026-11-27')]).toBeNull();
    const tuesday = api.series[0].points.find((p: { bucket: string }) => p.bucket.startsWith('2026-11-24'));
    expect(tuesday.n).toBeGreaterThan(6);
    expect(await tooltipAt('satisfaction-chart', 'x', '2026-11-24')).toContain(
      `${tuesday.mean} (${tuesday.n} messages)`,
    );
  });
});
