import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { generateHistory, writeHistory, type GeneratedHistory } from '../../../bench/insights-history.ts';
import { topicsInsight } from '../../../src/insights/topics.service.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { responsivenessInsight } from '../../../src/insights/responsiveness.service.ts';
import { satisfactionInsight } from '../../../src/insights/satisfaction.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';

const NOW = new Date('2026-11-30T15:00:00Z'); // a Monday
const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};
const day = 86_400_000;

/** A history built by hand: conversations of one inbound message each (plus given replies). */
function handHistory(
  conversations: {
    company: string;
    channel?: string;
    messages: { dir: 'inbound' | 'outbound'; at: Date; text?: string; by?: string }[];
    label?: string;
    sentiment?: number;
  }[],
): GeneratedHistory {
  const h: GeneratedHistory = { companies: [], records: [], messages: [], classifications: [], followUps: [] };
  const ids = new Map<string, string>();
  for (const c of conversations) {
    let companyId = ids.get(c.company);
    if (!companyId) {
      companyId = randomUUID();
      ids.set(c.company, companyId);
      h.companies.push({ id: companyId, name: c.company, willChurn: false });
    }
    const record = {
      id: randomUUID(),
      companyId,
      channelKind: c.channel ?? 'email',
      subject: c.messages[0].text ?? 'x',
      startedAt: c.messages[0].at,
      lastMessageAt: c.messages[c.messages.length - 1].at,
    };
    h.records.push(record);
    for (const m of c.messages) {
      const id = randomUUID();
      const rep = m.by ?? 'ann';
      h.messages.push({
        id,
        recordId: record.id,
        direction: m.dir,
        authorName: m.dir === 'inbound' ? `Contact of ${c.company}` : `${rep[0].toUpperCase()}${rep.slice(1)} Rep`,
        authorEmail: m.dir === 'inbound' ? 'someone@customer.example' : `${rep}@ours.example`,
        text: m.text ?? 'Hello',
        sentAt: m.at,
      });
      if (m.dir === 'inbound')
        h.classifications.push({
          recordId: record.id,
          messageId: id,
          label: c.label ?? 'need',
          sentiment: c.sentiment ?? 0,
        });
    }
  }
  return h;
}

describe.each(TEST_DATABASE_KINDS)('insights on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('finds a planted topic surge, names it by its terms and flags it emerging', async () => {
    const company = `Surge ${randomUUID().slice(0, 8)}`;
    const usual = [
      'Please send the invoice for last month',
      'Our invoice shows the wrong VAT number',
      'Login fails after the password reset',
      'The login page keeps spinning forever',
      'When will our order be shipped?',
      'Shipping tracking number for our order please',
      'We need more seats for the new team',
      'How much do ten more seats cost?',
    ];
    const surge = [
      'The CSV export times out on large reports',
      'CSV export keeps timing out again',
      'Export to CSV fails with a timeout error',
      'Our CSV export never finishes: timeout',
    ];
    const conversations: Parameters<typeof handHistory>[0] = [];
    // Previous period: 32 usual messages; this period: 32 usual + 16 about the CSV export.
    for (let i = 0; i < 32; i++)
      conversations.push({
        company,
        messages: [
          { dir: 'inbound', at: new Date(NOW.getTime() - 45 * day + i * 3_600_000), text: usual[i % usual.length] },
        ],
      });
    for (let i = 0; i < 48; i++) {
      const text = i % 3 === 2 ? surge[i % surge.length] : usual[i % usual.length];
      conversations.push({
        company,
        messages: [{ dir: 'inbound', at: new Date(NOW.getTime() - 20 * day + i * 3_600_000), text }],
      });
    }
    const h = handHistory(conversations);
    await writeHistory(t.db, h);
    const companyIds = [h.companies[0].id];
    const topics = await topicsInsight(t.db, parseInsightsPeriod('30d', NOW), { companyIds });
    expect(topics.overall.total).toBe(48);
    const emerging = topics.overall.topics.filter((x) => x.emerging);
    expect(emerging).toHaveLength(1);
    expect(emerging[0].terms.join(' ')).toMatch(/csv/);
    expect(emerging[0].terms.join(' ')).toMatch(/export|timeout/);
    expect(emerging[0].messages).toBe(16);
    expect(emerging[0].previousMessages).toBe(0);
    for (const e of emerging[0].examples) expect(e.text).toMatch(/CSV/);
    // Every other topic was there before and is not flagged.
    for (const other of topics.overall.topics.filter((x) => !x.emerging))
      expect(other.previousMessages).toBeGreaterThan(0);
    // Deterministic: the same data gives the same topics.
    const again = await topicsInsight(t.db, parseInsightsPeriod('30d', NOW), { companyIds, seed: 17 });
    expect(again.overall.topics.map((x) => [x.name, x.messages])).toEqual(
      topics.overall.topics.map((x) => [x.name, x.messages]),
    );
  });

  it('ranks the planted at-risk customers top, each with its reasons and records', async () => {
    const h = generateHistory({
      seed: 11,
      customers: 30,
      churners: 5,
      strength: 'clear',
      now: NOW,
      namePrefix: `Risk ${kind}`,
    });
    await writeHistory(t.db, h);
    const health = await healthInsight(t.db, parseInsightsPeriod('30d', NOW), SETTINGS, {
      companyIds: h.companies.map((c) => c.id),
    });
    const planted = h.companies
      .filter((c) => c.willChurn)
      .map((c) => c.id)
      .sort();
    expect(
      health.customers
        .slice(0, 5)
        .map((c) => c.companyId)
        .sort(),
    ).toEqual(planted);
    // Every planted customer is on the at-risk list (a stayer with a bad month may be too: see eval:churn).
    expect(health.atRisk.map((c) => c.companyId)).toEqual(expect.arrayContaining(planted));
    const records = new Map(h.records.map((r) => [r.id, r.companyId]));
    for (const c of health.atRisk) {
      expect(c.reasons.length).toBeGreaterThan(0);
      expect(c.risk).toBe(
        Math.min(
          100,
          c.reasons.reduce((s, r) => s + r.points, 0),
        ),
      );
      for (const r of c.reasons) for (const id of r.recordIds ?? []) expect(records.get(id)).toBe(c.companyId);
    }
  });

  it('times first responses and follow-ups in business hours, per rep and channel, as computed by hand', async () => {
    const at = (iso: string) => new Date(iso);
    const company = `Timing ${randomUUID().slice(0, 8)}`;
    const h = handHistory([
      // Mon 10:00 -> 11:30 (90 min); the customer writes again 13:00 -> 15:00 (follow-up, 120 min).
      {
        company,
        messages: [
          { dir: 'inbound', at: at('2026-11-23T10:00:00Z') },
          { dir: 'outbound', at: at('2026-11-23T11:30:00Z'), by: 'ann' },
          { dir: 'inbound', at: at('2026-11-23T13:00:00Z') },
          { dir: 'outbound', at: at('2026-11-23T15:00:00Z'), by: 'ann' },
        ],
      },
      // Fri 16:00 -> Mon 10:00 on Slack: 60 + 60 business minutes.
      {
        company,
        channel: 'slack',
        messages: [
          { dir: 'inbound', at: at('2026-11-27T16:00:00Z') },
          { dir: 'outbound', at: at('2026-11-30T10:00:00Z'), by: 'bob' },
        ],
      },
      // Two messages in a row are one turn: Tue 10:00 and 10:30, answered 11:00 = 60 min.
      {
        company,
        messages: [
          { dir: 'inbound', at: at('2026-11-24T10:00:00Z') },
          { dir: 'inbound', at: at('2026-11-24T10:30:00Z') },
          { dir: 'outbound', at: at('2026-11-24T11:00:00Z'), by: 'ann' },
        ],
      },
      // Mon 09:00, unanswered at 15:00: 360 min, past the 240-minute target.
      { company, messages: [{ dir: 'inbound', at: at('2026-11-30T09:00:00Z') }] },
      // A logged call is not a conversation that waits for an answer.
      { company, channel: 'call', messages: [{ dir: 'inbound', at: at('2026-11-25T10:00:00Z') }] },
    ]);
    await writeHistory(t.db, h);
    await t.db.prisma.rep.create({ data: { name: 'Ann Example', email: 'ann@ours.example' } });
    const r = await responsivenessInsight(t.db, parseInsightsPeriod('30d', NOW), SETTINGS, {
      companyIds: [h.companies[0].id],
    });
    const stat = (list: typeof r.overall, group: string, k: string) =>
      list.find((s) => s.group === group && s.kind === k);
    expect(stat(r.overall, 'everyone', 'first')).toMatchObject({
      turns: 4,
      answered: 3,
      medianMinutes: 90,
      p90Minutes: 120,
      overdue: 1,
      withinTargetShare: 0.75,
    });
    expect(stat(r.overall, 'everyone', 'follow-up')).toMatchObject({ turns: 1, answered: 1, medianMinutes: 120 });
    // Ann is a Rep (named from the Rep table by email); Bob is known only by his author name.
    expect(stat(r.byRep, 'Ann Example', 'all')).toMatchObject({ turns: 3, answered: 3, medianMinutes: 90 });
    expect(stat(r.byRep, 'Bob Rep', 'all')).toMatchObject({ turns: 1, medianMinutes: 120 });
    expect(stat(r.byChannel, 'slack', 'all')).toMatchObject({ turns: 1, medianMinutes: 120 });
    expect(stat(r.byChannel, 'email', 'all')).toMatchObject({ turns: 4, answered: 3, overdue: 1 });
    expect(r.byChannel.some((s) => s.group === 'call')).toBe(false);
    expect(r.waiting).toHaveLength(1);
    expect(r.waiting[0]).toMatchObject({ waitedMinutes: 360, askedAt: '2026-11-30T09:00:00.000Z' });
  });

  it('gives the sentiment trend per day for a customer and per label', async () => {
    const company = `Mood ${randomUUID().slice(0, 8)}`;
    const h = handHistory([
      {
        company,
        label: 'issue',
        sentiment: -0.6,
        messages: [{ dir: 'inbound', at: new Date('2026-11-20T10:00:00Z') }],
      },
      {
        company,
        label: 'issue',
        sentiment: -0.2,
        messages: [{ dir: 'inbound', at: new Date('2026-11-20T12:00:00Z') }],
      },
      {
        company,
        label: 'feedback',
        sentiment: 0.8,
        messages: [{ dir: 'inbound', at: new Date('2026-11-25T10:00:00Z') }],
      },
    ]);
    await writeHistory(t.db, h);
    const companyIds = [h.companies[0].id];
    const byDay = await satisfactionInsight(t.db, parseInsightsPeriod('30d', NOW), { companyIds, by: 'customer' });
    expect(byDay.series).toHaveLength(1);
    expect(byDay.series[0].points).toEqual([
      { bucket: '2026-11-20T00:00:00.000Z', mean: -0.4, n: 2 },
      { bucket: '2026-11-25T00:00:00.000Z', mean: 0.8, n: 1 },
    ]);
    const byLabel = await satisfactionInsight(t.db, parseInsightsPeriod('30d', NOW), { companyIds, by: 'label' });
    expect(Object.fromEntries(byLabel.series.map((s) => [s.group, s.mean]))).toEqual({ issue: -0.4, feedback: 0.8 });
  });

  it('answers `insights <customer>` with a card of its figures and a link to the console page', async () => {
    const h = generateHistory({
      seed: 5,
      customers: 3,
      churners: 1,
      strength: 'clear',
      now: NOW,
      namePrefix: `Card ${kind}`,
    });
    await writeHistory(t.db, h);
    const churner = h.companies.find((c) => c.willChurn)!;
    const ctx = {
      actor: { platform: 'console' as const, platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' },
      now: NOW,
    };
    const hooks = { recordLogged: async () => {}, followUpChanged: async () => {} };
    const reply = await executeCommand(`insights "${churner.name}"`, ctx, { db: t.db, hooks, insights: SETTINGS });
    expect(reply.tone).toBe('info');
    expect(reply.title).toBe(`Insights: ${churner.name} · last 30d`);
    const fields = Object.fromEntries((reply.fields ?? []).map((f) => [f.label, f.value]));
    expect(fields.Health).toMatch(/^\d+\/100 \(at risk\)$/);
    expect(fields['First response']).toMatch(/median|no answered/);
    expect(reply.sections?.[0].text).toMatch(/^\+\d+ risk: /);
    expect(reply.footer).toBe(`Charts: https://rapport.example/console/insights?since=30d&customer=${churner.id}`);
    const everyone = await executeCommand('insights --since 7d', ctx, { db: t.db, hooks, insights: SETTINGS });
    expect(everyone.title).toBe('Insights · last 7d');
    expect(everyone.fields?.map((f) => f.label)).toEqual(
      expect.arrayContaining(['At risk', 'Top needs', 'First response', 'Within target']),
    );
    const bad = await executeCommand('insights --since forever', ctx, { db: t.db, hooks, insights: SETTINGS });
    expect(bad.tone).toBe('error');
    expect(bad.text).toMatch(/not a period/);
  });
});
