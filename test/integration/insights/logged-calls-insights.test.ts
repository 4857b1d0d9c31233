import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { rebuildInsightRollups } from '../../../src/db/insight-rollups.repository.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { responsivenessInsight } from '../../../src/insights/responsiveness.service.ts';
import { satisfactionInsight } from '../../../src/insights/satisfaction.service.ts';
import { topicsInsight } from '../../../src/insights/topics.service.ts';
import { eventually, type PipelineHarness, startPipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};

/**
 * A team that talks to its customers on the phone and logs the calls by hand (`log`, the brief's first
 * use) has no inbound messages at all: its insights used to be empty, its unhappy customer never at risk.
 */
describe.each(TEST_DATABASE_KINDS)('insights read the calls and notes reps log, on %s', (kind) => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness(kind);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  const ctx = (): CommandContext => ({
    actor: { platform: 'console', platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: new Date(),
    requestKey: `test:${randomUUID()}`,
  });
  const run = (text: string) => executeCommand(text, ctx(), { db: h.test.db, hooks: h.hooks });

  it('counts logged calls in topics, health and the sentiment trend, from live rows and from the rollups; response times leave them out', async () => {
    const name = `Phone ${kind} ${randomUUID().slice(0, 8)}`;
    const notes = [
      'Called Jo: they are furious about the outages and will cancel the contract at the end of the month',
      'Meeting with Jo: the dashboard keeps crashing every morning, they are really unhappy',
      'Jo says they are moving to a competitor, cancel our subscription and close the account',
    ];
    // Three days ago, so that the rollups can hold those days whole.
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const first = await run(`log "${name}" "${notes[0]}" --via call --at "${day} 10:00" --new`);
    expect(first.tone).toBe('success');
    for (const [i, text] of notes.slice(1).entries())
      expect((await run(`log "${name}" "${text}" --via meeting --at "${day} 1${i + 1}:00"`)).tone).toBe('success');

    const company = await h.test.db.prisma.company.findFirstOrThrow({ where: { name } });
    const messages = await h.test.db.prisma.message.findMany({ where: { record: { companyId: company.id } } });
    expect(messages.map((m) => m.direction)).toEqual(['internal', 'internal', 'internal']);
    const classified = await eventually('the three notes classified', async () => {
      const rows = await h.test.db.prisma.classification.findMany({
        where: { messageId: { in: messages.map((m) => m.id) } },
      });
      return rows.length === 3 ? rows : undefined;
    });
    const sentiments = classified.map((c) => c.sentiment).filter((s): s is number => s !== null);

    const companyIds = [company.id];
    const figures = async () => {
      const period = parseInsightsPeriod('30d', new Date());
      const topics = await topicsInsight(h.test.db, period, { companyIds });
      const health = await healthInsight(h.test.db, period, SETTINGS, { companyIds });
      const mood = await satisfactionInsight(h.test.db, period, { companyIds, by: 'customer' });
      const responses = await responsivenessInsight(h.test.db, period, SETTINGS, { companyIds });
      return {
        topicsTotal: topics.overall.total,
        labels: topics.byLabel.map((l) => [l.scope, l.total]).sort(),
        scored: health.customers.map((c) => c.name),
        risk: health.customers[0]?.risk,
        reasons: health.customers[0]?.reasons.map((r) => ({ code: r.code, records: r.recordIds?.length ?? 0 })),
        lastAt: health.customers[0]?.lastInboundAt,
        moodN: mood.series.flatMap((s) => s.points).reduce((n, p) => n + p.n, 0),
        turns: responses.overall.reduce((n, s) => n + s.turns, 0),
      };
    };

    const live = await figures();
    expect(live.topicsTotal).toBe(3);
    expect(live.scored).toEqual([name]);
    // Cancelling, moving to a competitor, crashing: labelled churn or issue, so the customer carries risk
    // with the logged conversations behind it.
    expect(live.risk).toBeGreaterThan(0);
    expect(live.reasons?.some((r) => (r.code === 'churn-label' || r.code === 'issue-label') && r.records > 0)).toBe(
      true,
    );
    expect(live.lastAt).toBe(new Date(`${day}T12:00:00Z`).toISOString());
    expect(live.moodN).toBe(sentiments.length);
    // A call logged by hand is not a customer turn waiting for an answer.
    expect(live.turns).toBe(0);

    // The same figures once the rollups hold those days (the refresh job's rebuild, up to last midnight).
    const midnight = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    await rebuildInsightRollups(h.test.db, midnight, DEFAULT_BUSINESS_HOURS);
    const daily = await h.test.db.sql.query<{ n: number }>(
      `SELECT COALESCE(sum(inbound), 0)::int AS n FROM "InsightDaily" d JOIN "CommunicationRecord" r ON r.id = d."recordId" WHERE r."companyId" = $1`,
      [company.id],
    );
    expect(daily[0].n).toBe(3);
    expect(await figures()).toEqual(live);
  });
});
