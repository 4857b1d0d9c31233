import { findCompanyName } from '../../src/db/company.repository.ts';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { Database } from '../../src/db/database.ts';
import { RapportError, userMessage } from '../../src/errors.ts';
import { formatReportCsv } from '../../src/insights/format-insights-report.ts';
import {
  EVERY_CUSTOMER,
  FIRST_PAGE,
  type HealthPage,
  healthInsight,
  holdsPage,
  pageHealth,
  REPORT_CUSTOMERS,
} from '../../src/insights/health.service.ts';
import { buildInsightsReport } from '../../src/insights/insights-report.service.ts';
import { parseInsightsPeriod, type InsightsPeriod } from '../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../src/insights/insights-settings.ts';
import { responsivenessInsight } from '../../src/insights/responsiveness.service.ts';
import { satisfactionInsight, type SatisfactionGrouping } from '../../src/insights/satisfaction.service.ts';
import { topicsInsight } from '../../src/insights/topics.service.ts';
import {
  computedSource,
  SNAPSHOT_PERIODS,
  snapshotReport,
  snapshotSatisfaction,
} from '../../src/insights/insight-snapshots.service.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';
import { isUuid } from '../../src/domain/is-uuid.ts';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
/** Apache ECharts, served from this install (no CDN: the console works offline and leaks nothing). */
const ECHARTS_FILE = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');

export interface InsightsRouterDeps {
  db: Database;
  settings: InsightsSettings;
  /** Clock (tests pass a fixed one). Default: now, to the minute (so a page's requests share one period). */
  now?: () => Date;
}

/** Most customers `/api/insights/health` returns per page. */
const HEALTH_PAGE = 100;

/** The customers a report request lists: `all=1`, or `offset` (0) and `limit` (REPORT_CUSTOMERS, at least 1). */
function reportPage(req: Request): HealthPage {
  if (req.query.all === '1' || req.query.all === 'true') return EVERY_CUSTOMER;
  const int = (v: unknown, name: string, min: number, fallback: number) => {
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new RapportError(
        'invalid_input',
        `${name} must be a whole number of at least ${min} (got "${String(v)}").`,
      );
    return n;
  };
  const offset = int(req.query.offset, 'offset', 0, 0);
  const limit = int(req.query.limit, 'limit', 1, REPORT_CUSTOMERS);
  return offset === 0 && limit === REPORT_CUSTOMERS ? FIRST_PAGE : { offset, limit };
}

/**
 * The insights page `/console/insights` (charts with Apache ECharts) and its JSON API:
 * `/api/insights/{topics,health,responsiveness,satisfaction,report}?since=30d&customer=<id or name>`.
 * Mount at `/`, after the console router: its Host/Origin guard and sign-in check cover these paths.
 */
export function createInsightsRouter(deps: InsightsRouterDeps): express.Router {
  const router = express.Router();
  const now = deps.now ?? (() => new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const file = (path: string, type: string, cache: string) => (_req: Request, res: Response) => {
    res.type(type).set('Cache-Control', cache).sendFile(path);
  };
  router.get('/console/insights', file(join(PUBLIC_DIR, 'insights.html'), 'html', 'no-store'));
  router.get('/console/insights.js', file(join(PUBLIC_DIR, 'insights.js'), 'js', 'no-store'));
  router.get('/console/vendor/echarts.min.js', file(ECHARTS_FILE, 'js', 'public, max-age=86400'));

  /** The period and customer a request asks about. */
  const scopeOf = async (
    req: Request,
  ): Promise<{ period: InsightsPeriod; companyIds?: string[]; customer?: { id: string; name: string } }> => {
    const since = typeof req.query.since === 'string' ? req.query.since : undefined;
    const period = parseInsightsPeriod(since, now());
    const key = typeof req.query.customer === 'string' ? req.query.customer.trim() : '';
    if (!key) return { period };
    if (isUuid(key)) {
      const company = await findCompanyName(deps.db.prisma, key);
      if (!company) throw new RapportError('not_found', `No customer has the id ${key}.`);
      return { period, companyIds: [company.id], customer: company };
    }
    const match = confidentMatch(await lookupCustomer(deps.db, key));
    if (!match) throw new RapportError('not_found', `No single customer matches "${key}"; try its full name or id.`);
    return { period, companyIds: [match.companyId], customer: { id: match.companyId, name: match.companyName } };
  };
  const answer =
    (build: (req: Request, scope: Awaited<ReturnType<typeof scopeOf>>) => Promise<unknown>) =>
    async (req: Request, res: Response) => {
      try {
        const scope = await scopeOf(req);
        res.set('Cache-Control', 'no-store').json(await build(req, scope));
      } catch (err) {
        const code = err instanceof RapportError ? err.code : 'unknown';
        res.status(code === 'not_found' ? 404 : code === 'unknown' ? 500 : 400).json({ error: userMessage(err) });
      }
    };
  /**
   * Whole-team requests for a standard period (7d, 30d, 90d) are served from the snapshot the
   * refresh-insights job stores every 15 minutes, while it is under an hour old; `?fresh=1`, a
   * customer or another period is computed: from the daily rollups' whole days plus live edges once
   * the job built them (`rollups`), else from the messages (`live`). Answers say which (`asOf`, `source`).
   */
  const snapshotFor = async (req: Request, s: Awaited<ReturnType<typeof scopeOf>>) =>
    !s.customer && req.query.fresh !== '1' && (SNAPSHOT_PERIODS as readonly string[]).includes(s.period.label)
      ? await snapshotReport(deps.db, s.period.label, s.period.to)
      : undefined;
  /** `snapshot`, `rollups` (whole days summed from the daily rollups, edges live) or `live`. */
  const sourceOf = async (snap: { computedAt: Date } | undefined, period: InsightsPeriod) =>
    snap ? { source: 'snapshot', asOf: snap.computedAt.toISOString() } : await computedSource(deps.db, period);
  const periodOf = (p: InsightsPeriod) => ({
    from: p.from.toISOString(),
    to: p.to.toISOString(),
    previousFrom: p.previousFrom.toISOString(),
    label: p.label,
  });

  router.get(
    '/api/insights/topics',
    answer(async (req, s) => {
      const snap = await snapshotFor(req, s);
      return {
        period: snap ? snap.report.period : periodOf(s.period),
        customer: s.customer,
        // The clustering reads the messages themselves (a sample); only its label counts come from rollups.
        ...(snap ? { source: 'snapshot', asOf: snap.computedAt.toISOString() } : { source: 'live', asOf: undefined }),
        ...(snap ? snap.report.topics : await topicsInsight(deps.db, s.period, s)),
      };
    }),
  );
  router.get(
    '/api/insights/health',
    answer(async (req, s) => {
      const page = { offset: Math.max(0, Math.floor(Number(req.query.offset)) || 0), limit: HEALTH_PAGE };
      // A snapshot holds the riskiest REPORT_CUSTOMERS: a page past them is computed.
      const held = await snapshotFor(req, s);
      const snap = held && holdsPage(held.report.health, page) ? held : undefined;
      const health = pageHealth(
        snap ? snap.report.health : await healthInsight(deps.db, s.period, deps.settings, s),
        page,
      );
      return {
        period: snap ? snap.report.period : periodOf(s.period),
        customer: s.customer,
        ...(await sourceOf(snap, s.period)),
        scored: health.scored,
        atRiskCount: health.atRiskCount,
        offset: page.offset,
        customers: health.customers,
      };
    }),
  );
  router.get(
    '/api/insights/responsiveness',
    answer(async (req, s) => {
      const snap = await snapshotFor(req, s);
      return {
        period: snap ? snap.report.period : periodOf(s.period),
        customer: s.customer,
        ...(await sourceOf(snap, s.period)),
        ...(snap ? snap.report.responsiveness : await responsivenessInsight(deps.db, s.period, deps.settings, s)),
      };
    }),
  );
  router.get(
    '/api/insights/satisfaction',
    answer(async (req, s) => {
      const by = String(req.query.by ?? 'all');
      if (!['all', 'customer', 'team', 'label'].includes(by))
        throw new RapportError('invalid_input', `by must be all, customer, team or label (got "${by}").`);
      const snap =
        !s.customer && req.query.fresh !== '1' && (SNAPSHOT_PERIODS as readonly string[]).includes(s.period.label)
          ? await snapshotSatisfaction(deps.db, s.period.label, by as SatisfactionGrouping, s.period.to)
          : undefined;
      return {
        period: periodOf(s.period),
        customer: s.customer,
        ...(await sourceOf(snap, s.period)),
        ...(snap
          ? snap.satisfaction
          : await satisfactionInsight(deps.db, s.period, { ...s, by: by as SatisfactionGrouping })),
      };
    }),
  );
  /**
   * The whole report as a download (`?format=csv` or json), what `rapport report` prints: the
   * REPORT_CUSTOMERS riskiest customers with `health.scored` counting all; `?offset=N&limit=N` another
   * page of them, `?all=1` every one.
   */
  router.get('/api/insights/report', async (req: Request, res: Response) => {
    try {
      const s = await scopeOf(req);
      const page = reportPage(req);
      const held = await snapshotFor(req, s);
      const snap = held && holdsPage(held.report.health, page) ? held : undefined;
      const report = snap
        ? { ...snap.report, health: pageHealth(snap.report.health, page) }
        : await buildInsightsReport(deps.db, deps.settings, s.period, { ...s, page });
      const csv = req.query.format === 'csv';
      res
        .type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .set('Cache-Control', 'no-store')
        .set('Content-Disposition', `attachment; filename="rapport-insights-${s.period.label}.${csv ? 'csv' : 'json'}"`)
        .send(csv ? formatReportCsv(report) : JSON.stringify(report, null, 2));
    } catch (err) {
      const code = err instanceof RapportError ? err.code : 'unknown';
      res.status(code === 'not_found' ? 404 : code === 'unknown' ? 500 : 400).json({ error: userMessage(err) });
    }
  });
  return router;
}
