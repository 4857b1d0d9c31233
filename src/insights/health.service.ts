import type { Database } from '../db/database.ts';
import { customerSignals } from '../db/insights.repository.ts';
import { scoreHealth, type HealthScore } from './health-score.ts';
import type { InsightsPeriod } from './insights-period.ts';
import type { InsightsSettings } from './insights-settings.ts';
import { timedTurns } from './responsiveness.service.ts';

/** One customer's health with the reasons behind it. */
export interface CustomerHealth extends HealthScore {
  companyId: string;
  name: string;
  team: string;
  lastInboundAt: string | null;
}

export interface HealthInsight {
  /** Every scored customer, highest risk first (ties by name). */
  customers: CustomerHealth[];
  /** Those at or above the at-risk threshold. */
  atRisk: CustomerHealth[];
}

/**
 * Customer health / churn risk for every customer with something to score in the period (see
 * scoreHealth for the parts and weights), highest risk first.
 */
export async function healthInsight(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: { companyIds?: string[]; turns?: Awaited<ReturnType<typeof timedTurns>> } = {},
): Promise<HealthInsight> {
  const [signals, turns] = await Promise.all([
    customerSignals(db.sql, { from: period.from, to: period.to, now: period.to, companyIds: opts.companyIds }),
    // Only unanswered turns can be overdue: reading just those keeps 45d off the 60,000 answered ones.
    opts.turns ?? timedTurns(db, period, settings, { companyIds: opts.companyIds, unansweredOnly: true }),
  ]);
  const unanswered = new Map<string, { messageId: string; recordId: string }[]>();
  for (const t of turns) {
    if (!t.overdue || !t.companyId) continue;
    const list = unanswered.get(t.companyId) ?? [];
    unanswered.set(t.companyId, list);
    list.push({ messageId: t.messageId, recordId: t.recordId });
  }
  const customers = signals.map((s): CustomerHealth => {
    const score = scoreHealth({
      ...s,
      unanswered: unanswered.get(s.companyId) ?? [],
      daysSilent: s.lastInboundAt ? (period.to.getTime() - s.lastInboundAt.getTime()) / 86_400_000 : null,
      wroteBefore: s.inboundBefore > 0,
      wroteInPeriod: s.inboundInPeriod > 0,
    });
    return {
      companyId: s.companyId,
      name: s.name,
      team: s.team,
      lastInboundAt: s.lastInboundAt?.toISOString() ?? null,
      ...score,
    };
  });
  customers.sort((a, b) => b.risk - a.risk || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { customers, atRisk: customers.filter((c) => c.atRisk) };
}
