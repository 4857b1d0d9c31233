import type { Database } from '../db/database.ts';
import { customerSignals } from '../db/insights.repository.ts';
import { type HealthScore, SILENCE_HORIZON_DAYS, scoreHealth } from './health-score.ts';
import type { InsightsPeriod } from './insights-period.ts';
import type { InsightsSettings } from './insights-settings.ts';
import { timedTurns } from './responsiveness.service.ts';

/** One customer's health with the reasons behind it. */
export interface CustomerHealth extends HealthScore {
  companyId: string;
  name: string;
  team: string;
  /** The last message or logged call within SILENCE_HORIZON_DAYS before the end of the period (ISO), null: none. */
  lastInboundAt: string | null;
}

export interface HealthInsight {
  /** How many customers were scored in all, and how many of them are at risk (risk ≥ AT_RISK_THRESHOLD). */
  scored: number;
  atRiskCount: number;
  /** Rank (0-based) of the first customer in `customers`: 0 unless a later page was asked for. */
  offset: number;
  /** Scored customers, highest risk first (ties by name): every one, or the page asked for (pageHealth). */
  customers: CustomerHealth[];
  /** Those of `customers` at or above the at-risk threshold. */
  atRisk: CustomerHealth[];
}

/** Customers a report (and a stored snapshot) lists by default: the riskiest; `--all` / `?all=1` lists every one. */
export const REPORT_CUSTOMERS = 1000;

/** Which scored customers to list: from rank `offset` (0-based), at most `limit` (Infinity: all). */
export interface HealthPage {
  offset: number;
  limit: number;
}

export const FIRST_PAGE: HealthPage = { offset: 0, limit: REPORT_CUSTOMERS };
export const EVERY_CUSTOMER: HealthPage = { offset: 0, limit: Number.POSITIVE_INFINITY };

/**
 * The customers ranked `page.offset` .. `offset + limit - 1` of a health insight (its counts stay those of
 * every scored customer). `health` must list from rank `health.offset` on.
 */
export function pageHealth(health: HealthInsight, page: HealthPage): HealthInsight {
  const start = page.offset - health.offset;
  if (start < 0) throw new Error(`health lists from rank ${health.offset}, not ${page.offset}`);
  const customers = health.customers.slice(start, start + page.limit);
  return { ...health, offset: page.offset, customers, atRisk: customers.filter((c) => c.atRisk) };
}

/** Whether `health` (listing from its offset) holds every customer of `page`. */
export function holdsPage(health: HealthInsight, page: HealthPage): boolean {
  const end = Math.min(health.scored, page.offset + page.limit);
  return page.offset >= health.offset && end <= health.offset + health.customers.length;
}

const DAY_MS = 86_400_000;

/**
 * Customer health / churn risk for every customer with something to score: a message or logged call
 * within SILENCE_HORIZON_DAYS before the end of the period, or an overdue follow-up (see scoreHealth
 * for the parts and weights), highest risk first.
 */
export async function healthInsight(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: { companyIds?: string[]; turns?: Awaited<ReturnType<typeof timedTurns>> } = {},
): Promise<HealthInsight> {
  const [signals, turns] = await Promise.all([
    customerSignals(db.sql, {
      from: period.from,
      to: period.to,
      now: period.to,
      horizon: new Date(period.to.getTime() - SILENCE_HORIZON_DAYS * DAY_MS),
      companyIds: opts.companyIds,
    }),
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
      lastContactAt: s.lastInboundAt,
      daysSilent: s.lastInboundAt ? (period.to.getTime() - s.lastInboundAt.getTime()) / DAY_MS : null,
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
  const atRisk = customers.filter((c) => c.atRisk);
  return { scored: customers.length, atRiskCount: atRisk.length, offset: 0, customers, atRisk };
}
