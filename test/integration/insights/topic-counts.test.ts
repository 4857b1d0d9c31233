import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { writeHistory, type GeneratedHistory } from '../../../bench/insights-history.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { formatReportCsv, formatReportText } from '../../../src/insights/format-insights-report.ts';
import { buildInsightsReport } from '../../../src/insights/insights-report.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import { weeklyInsightCharts } from '../../../src/insights/weekly-charts.ts';
import { buildWeeklyInsights } from '../../../src/notifications/weekly-insights.notification.ts';

const NOW = new Date('2026-11-30T15:00:00Z');
const D = 86_400_000;
const H = 3_600_000;
const SETTINGS = { businessHours: DEFAULT_BUSINESS_HOURS, responseTargetMinutes: 240, publicUrl: 'https://r.example' };
const empty = (): GeneratedHistory => ({
  companies: [],
  records: [],
  messages: [],
  classifications: [],
  followUps: [],
});

describe('topic counts, the first week and the slowest rep, as a manager reads them (PGlite)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    // BigCo: 2,400 messages in the last 6 days (three needs, each with its order number), none before:
    // above the 1,000-message topic sample, and a first week with no earlier period.
    const h = empty();
    const big = randomUUID();
    h.companies.push({ id: big, name: 'BigCo', willChurn: false });
    const texts = ['The invoice total is wrong again', 'Login fails after password reset', 'When will the order ship'];
    for (let i = 0; i < 2400; i++) {
      const rid = randomUUID();
      const mid = randomUUID();
      const at = new Date(NOW.getTime() - 6 * D + i * 200_000);
      h.records.push({ id: rid, companyId: big, channelKind: 'email', subject: 's', startedAt: at, lastMessageAt: at });
      h.messages.push({
        id: mid,
        recordId: rid,
        direction: 'inbound',
        authorName: 'B',
        authorEmail: 'b@big.example',
        text: `${texts[i % 3]} ${i}`,
        sentAt: at,
      });
      h.classifications.push({ recordId: rid, messageId: mid, label: 'need', sentiment: 0 });
    }
    // Acme: Ann answers 20 questions in 3.5 business hours each, Bob one in 3.6 hours.
    const acme = randomUUID();
    h.companies.push({ id: acme, name: 'Acme', willChurn: false });
    const conversation = (at: Date, replyAfterHours: number, rep: string) => {
      const rid = randomUUID();
      const mid = randomUUID();
      h.records.push({
        id: rid,
        companyId: acme,
        channelKind: 'email',
        subject: 's',
        startedAt: at,
        lastMessageAt: at,
      });
      h.messages.push({
        id: mid,
        recordId: rid,
        direction: 'inbound',
        authorName: 'C',
        authorEmail: 'c@acme.example',
        text: 'Question about the invoice',
        sentAt: at,
      });
      h.classifications.push({ recordId: rid, messageId: mid, label: 'need', sentiment: 0 });
      h.messages.push({
        id: randomUUID(),
        recordId: rid,
        direction: 'outbound',
        authorName: rep,
        authorEmail: `${rep.toLowerCase()}@ours.example`,
        text: 'Answer',
        sentAt: new Date(at.getTime() + replyAfterHours * H),
      });
    };
    // Tuesday to Friday of the last 7 days, 09:00 UTC (nothing before them); Bob's on the Thursday.
    for (let i = 0; i < 20; i++) conversation(new Date(NOW.getTime() - 6 * D - 6 * H + (i % 4) * D), 3.5, 'Ann');
    conversation(new Date(NOW.getTime() - 4 * D - 6 * H), 3.6, 'Bob');
    await writeHistory(t.db, h);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it('says each topic\'s estimated messages in the period ("~800"), not the 1,000-message sample\'s count, on the card, the weekly post and chart, the text report and the CSV', async () => {
    const report = await buildInsightsReport(t.db, SETTINGS, parseInsightsPeriod('7d', NOW));
    const needs = report.topics.overall;
    expect(needs).toMatchObject({ total: 2421, sampled: 1000, previousTotal: 0 });
    const top = needs.topics.filter((x) => x.name !== 'question / invoice');
    expect(top.length).toBeGreaterThanOrEqual(3);
    // The estimates add up to the period, the sample's counts to the sample.
    expect(needs.topics.reduce((s, x) => s + x.estimatedMessages, 0)).toBeGreaterThan(2300);
    for (const x of top) expect(x.estimatedMessages).toBeGreaterThan(2 * x.messages);

    const ctx = {
      actor: { platform: 'console' as const, platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' },
      now: NOW,
    };
    const hooks = { recordLogged: async () => {}, followUpChanged: async () => {} };
    const card = await executeCommand('insights --since 7d', ctx, { db: t.db, hooks, insights: SETTINGS });
    const fields = Object.fromEntries((card.fields ?? []).map((f) => [f.label, f.value]));
    for (const x of needs.topics.slice(0, 3)) {
      expect(fields['Top needs']).toContain(`${x.name} (~${x.estimatedMessages})`);
      expect(fields['Top needs']).not.toContain(`(${x.messages})`);
    }
    expect(fields['Top needs']).toContain('estimated from a sample of 1,000 of 2,421 messages');

    const post = await buildWeeklyInsights(t.db, 'console:team', SETTINGS, NOW);
    const section = post.sections?.find((s) => s.title === 'Top needs')?.text ?? '';
    for (const x of needs.topics.slice(0, 3)) {
      expect(section).toContain(`${x.name}: ~${x.estimatedMessages}`);
      expect(section).not.toContain(`: ${x.messages}`);
    }
    expect(section).toContain('estimated from a sample of 1,000 of 2,421 messages');
    const [chart] = weeklyInsightCharts(report, 240);
    for (const x of needs.topics.slice(0, 3)) expect(chart.altText).toContain(`${x.name} ~${x.estimatedMessages}`);

    const text = formatReportText(report);
    for (const x of needs.topics) expect(text).toContain(`${x.name}: ~${x.estimatedMessages} messages`);
    expect(text).toContain('topic counts estimated from a sample of 1,000 of 2,421 messages');
    const csv = formatReportCsv(report);
    for (const x of needs.topics) {
      expect(csv).toContain(`topic,all,${x.name},estimated_messages,${x.estimatedMessages}\n`);
      expect(csv).toContain(`topic,all,${x.name},sampled_messages,${x.messages}\n`);
    }
    expect(csv).toContain('topic_sample,all,,sampled_messages,1000\n');
    // No topic is named by a placeholder ("again <number>", "ship <number>" before).
    for (const x of needs.topics) expect(x.name).not.toMatch(/<number>/);
  }, 120_000);

  it('flags no topic as new in a first week (nothing before it), and says there is no earlier period to compare', async () => {
    const post = await buildWeeklyInsights(t.db, 'console:team', SETTINGS, NOW);
    const section = post.sections?.find((s) => s.title === 'Top needs')?.text ?? '';
    expect(section).not.toContain('🆕');
    expect(section).not.toMatch(/pts/);
    expect(section).toContain('new: no earlier period to compare');
    const ctx = {
      actor: { platform: 'console' as const, platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' },
      now: NOW,
    };
    const hooks = { recordLogged: async () => {}, followUpChanged: async () => {} };
    const card = await executeCommand('insights --since 7d', ctx, { db: t.db, hooks, insights: SETTINGS });
    expect(card.fields?.map((f) => f.label)).not.toContain('Emerging');
    const text = formatReportText(await buildInsightsReport(t.db, SETTINGS, parseInsightsPeriod('7d', NOW)));
    expect(text).not.toContain('[emerging]');
    expect(text).not.toContain('vs previous period');
  }, 120_000);

  it("names the slowest rep only on 5 replies or more, with their number: not Bob on his single reply beside Ann's 20", async () => {
    const post = await buildWeeklyInsights(t.db, 'console:team', SETTINGS, NOW);
    const slowest = post.fields?.find((f) => f.label === 'Slowest median');
    expect(slowest?.value).toBe('Ann: 3 h 30 min (20 replies)');
    // Every word of the post, the charts' alt text included; not the PNGs' base64, where "Bob" turns up
    // by chance (about one run in ten: 3 letters in some 30,000 random characters).
    const words = JSON.stringify({ ...post, images: post.images?.map(({ pngBase64: _png, ...image }) => image) });
    expect(words).toContain('Top needs');
    expect(words).not.toContain('Bob');
  }, 120_000);
});
