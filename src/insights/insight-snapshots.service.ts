import type { Database } from '../db/database.ts';
import { splitForRollups } from '../domain/rollup-window.ts';
import { rebuildInsightRollups, rollupCoverage } from '../db/insight-rollups.repository.ts';
import { erasureMark, loadInsightSnapshot, saveInsightSnapshotsUnlessErased } from '../db/insights.repository.ts';
import { FIRST_PAGE, REPORT_CUSTOMERS } from './health.service.ts';
import { buildInsightsReport, type InsightsReport } from './insights-report.service.ts';
import { parseInsightsPeriod } from './insights-period.ts';
import type { InsightsSettings } from './insights-settings.ts';
import { satisfactionInsight, type SatisfactionGrouping, type SatisfactionInsight } from './satisfaction.service.ts';

/** Periods the refresh job computes for the whole team (what the page and `rapport report` ask for by default). */
export const SNAPSHOT_PERIODS = ['7d', '30d', '90d'] as const;

/** A snapshot older than this is not served (the job refreshes every 15 minutes). */
export const SNAPSHOT_MAX_AGE_MS = 60 * 60_000;

/** Customers kept in a snapshot's health list (highest risk first), as a report lists by default. */
export const SNAPSHOT_CUSTOMERS = REPORT_CUSTOMERS;

const GROUPINGS: SatisfactionGrouping[] = ['all', 'customer', 'team', 'label'];

/**
 * Rebuilds the daily rollups and stored turns up to the UTC midnight before `now` (what any other
 * period sums: README, "Insights"), then computes the whole-team report and every satisfaction
 * grouping for each standard period and stores them (InsightSnapshot), as of `now`. Returns how long
 * the rollups (`rollups`) and each period took.
 */
export async function refreshInsightSnapshots(
  db: Database,
  settings: InsightsSettings,
  now = new Date(),
  periods: readonly string[] = SNAPSHOT_PERIODS,
): Promise<Record<string, number>> {
  const took: Record<string, number> = {};
  const t0 = Date.now();
  await rebuildInsightRollups(
    db,
    new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000),
    settings.businessHours,
  );
  took.rollups = Date.now() - t0;
  // Read before computing: what an erasure committing meanwhile made stale is not stored (README, "Erase means erase").
  const mark = await erasureMark(db.sql);
  const snapshots: Array<{ key: string; body: unknown }> = [];
  for (const label of periods) {
    const started = Date.now();
    const period = parseInsightsPeriod(label, now);
    // The riskiest customers are what a page shows; the full list of 10,000 would make every read parse megabytes.
    const report = await buildInsightsReport(db, settings, period, { page: FIRST_PAGE });
    snapshots.push({ key: `report:${label}`, body: report });
    for (const by of GROUPINGS)
      snapshots.push({ key: `satisfaction:${label}:${by}`, body: await satisfactionInsight(db, period, { by }) });
    took[label] = Date.now() - started;
  }
  await saveInsightSnapshotsUnlessErased(db, mark, snapshots, now);
  return took;
}

/** Up to when (a UTC midnight) the daily rollups hold every day: any period reads only what follows live. */
export async function rollupsUntil(db: Database): Promise<Date | undefined> {
  return rollupCoverage(db.sql);
}

/**
 * Where a figure of `period` not served from a snapshot comes from: `rollups` when the daily rollups
 * hold at least one whole day of it (those days summed, the edges and anything after `asOf` read
 * live), else `live` (from the messages alone).
 */
export async function computedSource(
  db: Database,
  period: { from: Date; to: Date },
): Promise<{ source: 'rollups'; asOf: string } | { source: 'live'; asOf: undefined }> {
  const covered = await rollupCoverage(db.sql);
  return covered && splitForRollups([period.from, period.to], covered).days.length > 0
    ? { source: 'rollups', asOf: covered.toISOString() }
    : { source: 'live', asOf: undefined };
}

/** The stored whole-team report of a standard period while fresh, with when it was computed. */
export async function snapshotReport(
  db: Database,
  label: string,
  now = new Date(),
): Promise<{ report: InsightsReport; computedAt: Date } | undefined> {
  const snap = fresh(await loadInsightSnapshot<InsightsReport>(db.sql, `report:${label}`), now, 'report');
  // Stored before reports counted their customers (a snapshot then held the whole at-risk list): not served.
  return snap && typeof snap.report.health.scored === 'number' ? snap : undefined;
}

/** The stored whole-team sentiment series of a standard period while fresh. */
export async function snapshotSatisfaction(
  db: Database,
  label: string,
  by: SatisfactionGrouping,
  now = new Date(),
): Promise<{ satisfaction: SatisfactionInsight; computedAt: Date } | undefined> {
  return fresh(
    await loadInsightSnapshot<SatisfactionInsight>(db.sql, `satisfaction:${label}:${by}`),
    now,
    'satisfaction',
  );
}

function fresh<T, K extends string>(
  row: { body: T; computedAt: Date } | undefined,
  now: Date,
  name: K,
): ({ [k in K]: T } & { computedAt: Date }) | undefined {
  if (!row || now.getTime() - row.computedAt.getTime() > SNAPSHOT_MAX_AGE_MS) return undefined;
  return { [name]: row.body, computedAt: row.computedAt } as { [k in K]: T } & { computedAt: Date };
}
