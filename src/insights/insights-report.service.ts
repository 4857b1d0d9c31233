import type { Database } from '../db/database.ts';
import { FIRST_PAGE, type HealthPage, healthInsight, type HealthInsight, pageHealth } from './health.service.ts';
import type { InsightsPeriod } from './insights-period.ts';
import type { InsightsSettings } from './insights-settings.ts';
import { responsivenessInsight, type ResponsivenessInsight, turnsToTimeHere } from './responsiveness.service.ts';
import { satisfactionInsight, type SatisfactionInsight } from './satisfaction.service.ts';
import { topicsInsight, type TopicsInsight } from './topics.service.ts';

/** Every insight of one period (what `rapport report` prints and the weekly post sums up). */
export interface InsightsReport {
  period: { from: string; to: string; previousFrom: string; label: string };
  /** Set when the report is about one customer. */
  customer?: { id: string; name: string };
  topics: TopicsInsight;
  health: HealthInsight;
  responsiveness: ResponsivenessInsight;
  satisfaction: SatisfactionInsight;
}

/**
 * Builds the whole report for a period, for everyone or for some customers. Every customer is
 * scored; `health.customers` lists the page asked for (default: the REPORT_CUSTOMERS riskiest, with
 * `health.scored` and `health.atRiskCount` counting them all; EVERY_CUSTOMER lists every one).
 */
export async function buildInsightsReport(
  db: Database,
  settings: InsightsSettings,
  period: InsightsPeriod,
  opts: { companyIds?: string[]; customer?: { id: string; name: string }; page?: HealthPage } = {},
): Promise<InsightsReport> {
  const scope = { companyIds: opts.companyIds };
  // Independent parts at once. The turns timed here (every unanswered one among them) are read once:
  // health takes its overdue turns from them, responsiveness adds the stored answered ones in SQL.
  const split = turnsToTimeHere(db, period, settings, scope);
  const [topics, health, responsiveness, satisfaction] = await Promise.all([
    topicsInsight(db, period, scope),
    split.then(async (s) =>
      pageHealth(await healthInsight(db, period, settings, { ...scope, turns: s.timed }), opts.page ?? FIRST_PAGE),
    ),
    split.then((s) => responsivenessInsight(db, period, settings, { ...scope, split: s })),
    satisfactionInsight(db, period, { ...scope, by: opts.companyIds ? 'all' : 'team' }),
  ]);
  return {
    period: {
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      previousFrom: period.previousFrom.toISOString(),
      label: period.label,
    },
    ...(opts.customer ? { customer: opts.customer } : {}),
    topics,
    health,
    responsiveness,
    satisfaction,
  };
}
