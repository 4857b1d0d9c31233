import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, writeHistory } from '../../../bench/insights-history.ts';
import { businessHoursKey, rebuildInsightRollups } from '../../../src/db/insight-rollups.repository.ts';
import { inboundCountsByLabel, inboundTexts, turnsToTime } from '../../../src/db/insights.repository.ts';
import { businessMinutesBetween, DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { buildInsightsReport } from '../../../src/insights/insights-report.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { responsivenessInsight } from '../../../src/insights/responsiveness.service.ts';
import { satisfactionInsight } from '../../../src/insights/satisfaction.service.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

/** Not on a day or an hour: the period's edges cut days in two. */
const NOW = new Date('2026-11-30T15:07:00Z');
const DAY = 86_400_000;
const MIDNIGHT = new Date(Math.floor(NOW.getTime() / DAY) * DAY);
const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};

/** Floats rounded to 9 places: sums over days add in another order than over messages. */
const rounded = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v), (_k, x) => (typeof x === 'number' ? Math.round(x * 1e9) / 1e9 : x));

describe.each(TEST_DATABASE_KINDS)('insights from daily rollups on %s', (kind) => {
  let t: TestDatabase;
  const period = parseInsightsPeriod('45d', NOW);

  /** Every figure of the 45-day window that rollups feed. */
  const figures = async () => ({
    health: await healthInsight(t.db, period, SETTINGS),
    responsiveness: await responsivenessInsight(t.db, period, SETTINGS),
    satisfaction: await Promise.all(
      (['all', 'customer', 'team', 'label'] as const).map((by) => satisfactionInsight(t.db, period, { by })),
    ),
    labels: Object.fromEntries(await inboundCountsByLabel(t.db.sql, period)),
    // What topics count and sample: the total from the rollups' whole days, the sample from the messages.
    texts: await inboundTexts(t.db.sql, { ...period, limit: 50 }),
    // The report reads its turns once for health and response times: the same figures.
    report: await buildInsightsReport(t.db, SETTINGS, period).then((r) => ({
      health: r.health,
      responsiveness: r.responsiveness,
      satisfaction: r.satisfaction,
    })),
  });
  const live = async () => {
    await t.db.sql.query(`DELETE FROM "InsightSnapshot" WHERE key = 'rollups:until'`);
    return figures();
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    // 100 days of history: the 45-day health lookback reaches 90 days back.
    await writeHistory(
      t.db,
      generateHistory({ customers: 40, churners: 8, strength: 'realistic', now: NOW, periodDays: 50, seed: 11 }),
    );
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it('gives the same 45-day figures from rollups (whole days, stored reply minutes) plus live edges as computed live', async () => {
    await rebuildInsightRollups(t.db, MIDNIGHT, SETTINGS.businessHours);
    const [{ n }] = await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "InsightDaily"`);
    const [{ turns }] = await t.db.sql.query<{ turns: number }>(`SELECT count(*)::int AS turns FROM "InsightTurn"`);
    expect(n).toBeGreaterThan(100);
    expect(turns).toBeGreaterThan(100);
    // The per-conversation days the health score reads are InsightDaily's labels summed.
    const perRecord = `SELECT day, "recordId", inbound, churn, issue, "sentimentSum"::numeric(20, 9) AS ssum,
                              "sentimentN", "lastInboundAt" FROM "InsightRecordDaily" ORDER BY 1, 2`;
    const summed = await t.db.sql.query(perRecord);
    expect(summed.length).toBeGreaterThan(50);
    expect(summed.length).toBeLessThanOrEqual(n);
    expect(summed.some((r) => (r.churn as number) > 0)).toBe(true);
    // The migration fills the table from InsightDaily alone: the same rows as the rebuild.
    const migration = readFileSync(
      new URL('../../../prisma/migrations/20261203021000_insight_record_daily/migration.sql', import.meta.url),
      'utf8',
    );
    await t.db.sql.exec(`DELETE FROM "InsightRecordDaily"; ${migration.slice(migration.indexOf('INSERT INTO'))}`);
    expect(await t.db.sql.query(perRecord)).toEqual(summed);
    // Every answered turn holds its reply time in business minutes, as businessMinutesBetween gives it.
    const answered = await t.db.sql.query<{ askedAt: Date | string; repliedAt: Date | string; m: number | null }>(
      `SELECT "askedAt", "repliedAt", "replyMinutes" AS m FROM "InsightTurn" WHERE "repliedAt" IS NOT NULL`,
    );
    expect(answered.length).toBeGreaterThan(100);
    for (const a of answered)
      expect(a.m).toBe(businessMinutesBetween(new Date(a.askedAt), new Date(a.repliedAt), SETTINGS.businessHours));
    // The stored path is the one taken: answered turns before the coverage end are summed in SQL.
    const split = await turnsToTime(t.db.sql, { ...period, hoursKey: businessHoursKey(SETTINGS.businessHours) });
    expect(split.inStore).toBeDefined();
    expect(split.turns.length).toBeLessThan(answered.length);
    const rolled = await figures();
    const computed = await live();
    expect(computed.health.customers.length).toBeGreaterThan(20);
    expect(computed.health.atRisk.length).toBeGreaterThan(0);
    // The planted churners' churn-labelled conversations are among the reasons (read per conversation and day).
    expect(computed.health.customers.some((c) => c.reasons.some((r) => r.code === 'churn-label'))).toBe(true);
    expect(computed.responsiveness.overall.length).toBeGreaterThan(0);
    expect(rounded(rolled)).toEqual(rounded(computed));
    expect(rolled.report.health).toEqual(rolled.health);
    expect(rolled.report.responsiveness).toEqual(rolled.responsiveness);
  });

  it('rollups ten days old: later days, a reply since is read live and still agree', async () => {
    await rebuildInsightRollups(t.db, new Date(MIDNIGHT.getTime() - 10 * DAY), SETTINGS.businessHours);
    // A turn left unanswered when the rollups were built gets its reply afterwards.
    const [open] = await t.db.sql.query<{ messageId: string; recordId: string; askedAt: Date | string }>(
      `SELECT "messageId", "recordId", "askedAt" FROM "InsightTurn"
        WHERE "replyId" IS NULL AND "askedAt" > $1 ORDER BY "askedAt" DESC LIMIT 1`,
      [new Date(MIDNIGHT.getTime() - 40 * DAY)],
    );
    expect(open).toBeDefined();
    await t.db.sql.query(
      `INSERT INTO "Message" (id, "recordId", "externalId", direction, "authorName", "authorEmail", text, "cleanText", "sentAt", "updatedAt")
       VALUES ($1, $2, $3, 'outbound', 'Ann Rep', 'ann@ours.example', 'Sorted', 'Sorted', $4, now())`,
      [randomUUID(), open.recordId, `late:${open.messageId}`, new Date(MIDNIGHT.getTime() - 2 * DAY)],
    );
    const rolled = await figures();
    const computed = await live();
    const answered = (f: typeof rolled) =>
      f.responsiveness.overall.find((s) => s.kind === 'all')?.answered ?? Number.NaN;
    expect(answered(rolled)).toBe(answered(computed));
    expect(rounded(rolled)).toEqual(rounded(computed));
  });

  it('reply minutes stored in other business hours are not used: the figures still agree with live', async () => {
    const berlin = { timeZone: 'Europe/Berlin', startMinute: 8 * 60, endMinute: 18 * 60, days: [1, 2, 3, 4, 6] };
    await rebuildInsightRollups(t.db, MIDNIGHT, berlin);
    const rolled = await responsivenessInsight(t.db, period, SETTINGS);
    await t.db.sql.query(`DELETE FROM "InsightSnapshot" WHERE key = 'rollups:until'`);
    const computed = await responsivenessInsight(t.db, period, SETTINGS);
    expect(computed.overall.length).toBeGreaterThan(0);
    expect(rounded(rolled)).toEqual(rounded(computed));
  });
});
