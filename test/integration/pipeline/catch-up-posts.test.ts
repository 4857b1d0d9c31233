import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import { dailyDigest } from '../../../jobs/daily-digest.job.ts';
import { isoWeek } from '../../../jobs/weekly-insights.job.ts';
import type { DailyDigestData } from '../../../jobs/job-data.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';

// UTC+14: its day is not UTC's for ten hours of each UTC day, so a key made from the wrong day shows.
const ZONE = 'Pacific/Kiritimati';
const dayIn = (at: Date, days = 0) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(at.getTime() + days * 86_400_000),
  );
const weekdayIn = (at: Date) =>
  ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(
    new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'short' }).format(at),
  );

/**
 * A digest (and a weekly insights post) whose time passed today with no Delivery row for it (Redis was
 * empty at its time, or its job gave up) is queued by the reconciler under the key the scheduled job
 * uses, in the channel's timezone; only for a channel that had one before, and once.
 */
describe("the reconciler catches up today's digest and this week's insights post (PGlite, real Redis and workers)", () => {
  let h: PipelineHarness;
  const now = new Date();
  // Today's post time there (00:00, UTC+14, no DST): the scheduled job would have run at this instant.
  const postedAt = new Date(`${dayIn(now)}T00:00:00+14:00`);
  beforeAll(async () => {
    h = await startPipelineHarness('pglite', {
      settings: {
        timezone: ZONE,
        digestTime: '00:00',
        insights: {
          businessHours: DEFAULT_BUSINESS_HOURS,
          responseTargetMinutes: 240,
          publicUrl: 'https://rapport.example',
          weeklyPost: { weekday: weekdayIn(now), time: '00:00' },
        },
      },
    });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('not for a channel that never had one (a first start), then once, under the scheduled job’s key', async () => {
    const db = h.test.db.prisma;
    const first = await reconcileSchedules(h.deps);
    expect(first.postsCaughtUp).toBe(0);
    expect(await db.delivery.count()).toBe(0);

    // The deployment has been running: the channel had its digest three days ago and an insights post two weeks ago.
    for (const key of [
      `digest-console.team-${dayIn(now, -3)}`,
      `insights-console.team-${isoWeek(new Date(postedAt.getTime() - 14 * 86_400_000))}`,
    ])
      await db.delivery.create({ data: { key, target: 'console:team', status: 'sent', attempts: 1, externalId: key } });
    const caughtUp = await reconcileSchedules(h.deps);
    expect(caughtUp.postsCaughtUp).toBe(2);
    const todays = `digest-console.team-${dayIn(new Date())}`;
    // Its key is the ISO week (UTC) of that instant, as the job's own would be.
    const thisWeek = `insights-console.team-${isoWeek(postedAt)}`;
    await eventually(
      'both posted',
      async () => (await db.delivery.count({ where: { key: { in: [todays, thisWeek] }, status: 'sent' } })) === 2,
      30_000,
    );
    // The scheduled job, late, and another reconcile: the same keys, nothing posted again.
    const job = { data: { target: 'console:team', timezone: ZONE } } as Job<DailyDigestData>;
    expect((await dailyDigest(job, h.deps)).key).toBe(todays);
    expect((await reconcileSchedules(h.deps)).postsCaughtUp).toBe(0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.console.feed().filter((e) => e.reply.title === 'Daily digest')).toHaveLength(1);
    expect(h.console.feed().filter((e) => e.reply.title?.startsWith('Weekly insights'))).toHaveLength(1);
  }, 120_000);
});
