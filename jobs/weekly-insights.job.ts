import type { Job } from 'bullmq';
import { queueWrittenDown } from './daily-digest.job.ts';
import type { DeliverMessageData, WeeklyInsightsData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';
import { refreshInsightSnapshots } from '../src/insights/insight-snapshots.service.ts';

/**
 * Queues one weekly insights post per channel and ISO week (the key makes a second run that week a
 * no-op), written down as a `pending` Delivery first. The post is built when it is delivered and goes through the last-step guard like every
 * internal post.
 */
export async function weeklyInsights(job: Job<WeeklyInsightsData>, deps: PipelineDeps): Promise<{ key: string }> {
  const { target } = job.data;
  const data = insightsDelivery(target, isoWeek(new Date()));
  await queueWrittenDown(deps, data);
  return { key: data.key };
}

/** The weekly insights post of one channel and ISO week ("2026-W49"). */
export function insightsDelivery(target: string, week: string): DeliverMessageData {
  return { key: jobId('insights', target, week), kind: 'insights', target };
}

/** "2026-W49": the ISO week of an instant (UTC). */
export function isoWeek(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** How often the whole-team insights snapshots are recomputed. */
export const REFRESH_INSIGHTS_EVERY_MS = 15 * 60_000;

/**
 * Recomputes the whole-team insights of the standard periods (7d, 30d, 90d) and stores them: the
 * page and the API serve these while fresh (a live computation over a million messages takes longer
 * than a page may). Harmless to rerun; skipped without insights settings.
 */
export async function refreshInsights(deps: PipelineDeps): Promise<{ took: Record<string, number> } | undefined> {
  if (!deps.settings.insights) return undefined;
  return { took: await refreshInsightSnapshots(deps.db, deps.settings.insights) };
}
