import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import { weeklyInsights } from '../../../jobs/weekly-insights.job.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { WeeklyInsightsData } from '../../../jobs/job-data.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { generateHistory, writeHistory } from '../../../bench/insights-history.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import { eraseCustomerAndCards } from '../../../src/services/erase-customer.service.ts';
import { HealthFixtures } from '../../helpers/customer-health-fixtures.ts';

describe('the weekly insights post (PGlite, real Redis and workers)', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness('pglite', {
      settings: {
        insights: {
          businessHours: DEFAULT_BUSINESS_HOURS,
          responseTargetMinutes: 240,
          publicUrl: 'https://rapport.example',
          weeklyPost: { weekday: 1, time: '08:30' },
        },
      },
    });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('is scheduled for the default channel like the digest, posts once per week with the at-risk customers and a link', async () => {
    const history = generateHistory({
      seed: 9,
      customers: 6,
      churners: 1,
      strength: 'clear',
      now: new Date(),
      periodDays: 7,
      namePrefix: 'Weekly',
    });
    await writeHistory(h.test.db, history);
    // One customer surely at risk (the seeded churner is at risk on most days, not all): the post names it.
    const admin = await h.test.db.prisma.rep.create({ data: { name: 'Admin' } });
    await new HealthFixtures(h.test.db).atRiskCustomer('Weekly Doomed Co', admin.id);
    const report = await reconcileSchedules(h.deps);
    expect(report.insightsSchedules).toBe(1);
    const [scheduler] = await h.queues[QueueName.WeeklyInsights].getJobSchedulers(0, -1);
    expect(scheduler).toMatchObject({ key: 'insights-console.team', pattern: '30 8 * * 1', tz: 'UTC' });

    const job = { data: { target: 'console:team', timezone: 'UTC' } } as Job<WeeklyInsightsData>;
    const first = await weeklyInsights(job, h.deps);
    const again = await weeklyInsights(job, h.deps);
    expect(again.key).toBe(first.key);
    const post = await eventually(
      'the weekly post',
      async () => h.console.feed().find((e) => e.reply.title === 'Weekly insights · last 7 days'),
      30_000,
    );
    // The post lists what the engine finds for the same week (the planted churner among them, when at risk).
    const expected = await healthInsight(h.test.db, parseInsightsPeriod('7d', new Date()), {
      businessHours: DEFAULT_BUSINESS_HOURS,
      responseTargetMinutes: 240,
      publicUrl: 'https://rapport.example',
    });
    const atRisk = post.reply.sections?.find((s) => s.title?.startsWith('At risk'));
    expect(atRisk?.title).toBe(`At risk: ${expected.atRisk.length}`);
    for (const c of expected.atRisk.slice(0, 5)) expect(atRisk?.text).toContain(c.name);
    expect(post.reply.fields?.map((f) => f.label)).toEqual(
      expect.arrayContaining(['Customer messages', 'First response (median)', 'Within target']),
    );
    expect(post.reply.footer).toBe(
      'Charts and the records behind each figure: https://rapport.example/console/insights?since=7d',
    );
    const deliveries = await h.test.db.prisma.delivery.findMany({ where: { key: first.key } });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].status).toBe('sent');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.console.feed().filter((e) => e.reply.title === 'Weekly insights · last 7 days')).toHaveLength(1);

    // It names the customers at risk it shows: recorded with the post, so that erasing one takes the post
    // back (before, a customer erased stayed named in the channel's weekly post).
    const shown = expected.atRisk.slice(0, 5).map((c) => c.companyId);
    expect(shown.length).toBeGreaterThan(0);
    await eventually('the post recorded with the customers it names', async () => {
      const [row] = await h.test.db.prisma.delivery.findMany({ where: { key: first.key } });
      return [...row.aboutCompanyIds].sort().join() === [...shown].sort().join();
    });
    await eraseCustomerAndCards(h.test.db, shown[0], { repId: admin.id, platform: 'console' }, h.hooks);
    const erased = await eventually('the weekly post taken back', async () =>
      h.console.feed().find((e) => e.externalId === post.externalId && /^Erased/.test(e.reply.text)),
    );
    expect(JSON.stringify(erased.reply)).not.toContain(expected.atRisk[0].name);
  }, 120_000);
});
