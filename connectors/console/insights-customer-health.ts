import type { Database } from '../../src/db/database.ts';
import { erasureMark } from '../../src/db/insights.repository.ts';
import { SILENCE_HORIZON_DAYS } from '../../src/insights/health-score.ts';
import { type CustomerHealth, healthInsight } from '../../src/insights/health.service.ts';
import { snapshotReport } from '../../src/insights/insight-snapshots.service.ts';
import { parseInsightsPeriod, type InsightsPeriod } from '../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../src/insights/insights-settings.ts';
import type { CustomerHealthSource, CustomerHealthSummary } from './console-api.router.ts';

/** The period the console's health figures cover (the insights page's default and a stored snapshot). */
export const CONSOLE_HEALTH_PERIOD = '30d';
/**
 * A live whole-team ranking (no fresh snapshot) is reused this long, so paging does not recompute it;
 * never after an erasure (the erasure mark changed): it names the erased customer.
 */
const LIVE_RANKING_TTL_MS = 60_000;

/** One customer's health as the console shows it: the score, every reason, which period and source. */
export interface CustomerHealthDetail extends CustomerHealth {
  period: { from: string; to: string; label: string };
  source: 'snapshot' | 'live';
}

export interface InsightsCustomerHealth extends CustomerHealthSource {
  /** One customer, computed live now (reasons and the records behind them). Undefined: nothing to score. */
  customer(companyId: string): Promise<CustomerHealthDetail | undefined>;
  /** The most at-risk customers (risk at or above the threshold), at most `limit`. */
  atRisk(limit: number): Promise<{ customers: CustomerHealth[]; source: 'snapshot' | 'live'; asOf: string }>;
}

/**
 * Why a customer has no health score: nothing to judge it by. Shown instead of a number (a customer
 * silent for more than half a year is not "100, healthy").
 */
export const NOT_SCORED_WHY = `No message or logged call from this customer in the last ${SILENCE_HORIZON_DAYS} days and no overdue follow-up.`;
/** {@link NOT_SCORED_WHY} as one line: "Not scored: no message …". */
export const NOTHING_TO_SCORE = `Not scored: ${NOT_SCORED_WHY.charAt(0).toLowerCase()}${NOT_SCORED_WHY.slice(1)}`;

const notScored: CustomerHealthSummary = { health: null, risk: null, atRisk: false, reason: NOTHING_TO_SCORE };

const summaryOf = (c: CustomerHealth): CustomerHealthSummary => ({
  health: c.health,
  risk: c.risk,
  atRisk: c.atRisk,
  reason: c.reasons[0]?.text,
});

/**
 * Feeds the console's customer list, customer page and "My day" from the insights health score
 * (src/insights/health.service.ts) over the last 30 days: the whole-team list from the snapshot the
 * refresh-insights job stores while it is fresh (else computed live and kept a minute), one customer
 * always live. Customers with nothing to score (no message or logged call in the last 180 days, no overdue
 * follow-up) have no score ({@link NOTHING_TO_SCORE}), not a healthy 100.
 */
export function insightsCustomerHealth(deps: {
  db: Database;
  settings: InsightsSettings;
  now?: () => Date;
}): InsightsCustomerHealth {
  const now = deps.now ?? (() => new Date(Math.floor(Date.now() / 60_000) * 60_000));
  let live: { at: number; mark: string; period: InsightsPeriod; customers: CustomerHealth[] } | undefined;

  /** The team's scored customers, riskiest first; `every`: all of them (a snapshot keeps the riskiest 1,000). */
  const team = async (
    every = false,
  ): Promise<{ customers: CustomerHealth[]; source: 'snapshot' | 'live'; asOf: Date }> => {
    const period = parseInsightsPeriod(CONSOLE_HEALTH_PERIOD, now());
    const snap = await snapshotReport(deps.db, CONSOLE_HEALTH_PERIOD, period.to);
    const health = snap?.report.health;
    if (snap && health && (!every || health.customers.length >= health.scored))
      return { customers: health.customers, source: 'snapshot', asOf: snap.computedAt };
    // Read before computing: a ranking computed before an erasure (in any process) is not served after it
    // (README, "Erase means erase"), as the topics cache does.
    const mark = await erasureMark(deps.db.sql);
    if (
      !live ||
      live.mark !== mark ||
      Date.now() - live.at > LIVE_RANKING_TTL_MS ||
      live.period.to.getTime() !== period.to.getTime()
    )
      live = {
        at: Date.now(),
        mark,
        period,
        customers: (await healthInsight(deps.db, period, deps.settings)).customers,
      };
    return { customers: live.customers, source: 'live', asOf: period.to };
  };

  return {
    async ranking() {
      // Every scored customer, the healthy ones too: the list puts those with nothing to score after them,
      // not among them by name.
      return (await team(true)).customers.map((c) => c.companyId);
    },
    async scores(companyIds) {
      const out = new Map<string, CustomerHealthSummary>();
      if (companyIds.length === 0) return out;
      const { customers } = await team();
      const wanted = new Set(companyIds);
      for (const c of customers) if (wanted.has(c.companyId)) out.set(c.companyId, summaryOf(c));
      // A snapshot keeps the riskiest customers only: the rest of the page is computed for these ids.
      const missing = companyIds.filter((id) => !out.has(id));
      if (missing.length) {
        const period = parseInsightsPeriod(CONSOLE_HEALTH_PERIOD, now());
        const scored = await healthInsight(deps.db, period, deps.settings, { companyIds: missing });
        for (const c of scored.customers) out.set(c.companyId, summaryOf(c));
        for (const id of missing) if (!out.has(id)) out.set(id, notScored);
      }
      return out;
    },
    async customer(companyId) {
      const period = parseInsightsPeriod(CONSOLE_HEALTH_PERIOD, now());
      const scored = await healthInsight(deps.db, period, deps.settings, { companyIds: [companyId] });
      const c = scored.customers[0];
      return c
        ? {
            ...c,
            period: { from: period.from.toISOString(), to: period.to.toISOString(), label: period.label },
            source: 'live',
          }
        : undefined;
    },
    async atRisk(limit) {
      const t = await team();
      return {
        customers: t.customers.filter((c) => c.atRisk).slice(0, limit),
        source: t.source,
        asOf: t.asOf.toISOString(),
      };
    },
  };
}
