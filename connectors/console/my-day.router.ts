import { findCompanyName } from '../../src/db/company.repository.ts';
import express, { type Request, type Response } from 'express';
import type { Database } from '../../src/db/database.ts';
import { evidenceFollowUps, evidenceRecords } from '../../src/db/health-evidence.repository.ts';
import { RapportError, userMessage } from '../../src/errors.ts';
import { AT_RISK_THRESHOLD } from '../../src/insights/health-score.ts';
import { countFollowUps, listFollowUps } from '../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import { viewerOf } from './console-access.ts';
import { consoleActor } from './console-actor.ts';
import { type InsightsCustomerHealth, NOT_SCORED_WHY, NOTHING_TO_SCORE } from './insights-customer-health.ts';
import { isUuid } from '../../src/domain/is-uuid.ts';

/** At-risk customers "My day" lists. */
export const MY_DAY_AT_RISK = 10;
/** Follow-ups "My day" lists (the follow-ups page has the rest). */
const MY_DAY_FOLLOW_UPS = 100;

export interface MyDayRouterDeps {
  db: Database;
  timezone: string;
  /** Customer health from the insights engine; without it "My day" has no at-risk list and customers no health. */
  health?: InsightsCustomerHealth;
}

function sendError(res: Response, err: unknown): void {
  const code = err instanceof RapportError ? err.code : 'unknown';
  res.status(code === 'not_found' ? 404 : code === 'unknown' ? 500 : 400).json({ error: userMessage(err) });
}

/**
 * `GET /api/my-day`: the signed-in rep's overdue and due-today follow-ups and the most at-risk customers;
 * `GET /api/customers/:id/health`: one customer's health score, every reason and the conversations and
 * follow-ups behind each. Mount behind the console's access check.
 */
export function createMyDayRouter(deps: MyDayRouterDeps): express.Router {
  const router = express.Router();

  router.get('/api/my-day', async (_req: Request, res: Response) => {
    try {
      const now = new Date();
      const rep = await findOrCreateRep(deps.db.prisma, consoleActor(viewerOf(res), undefined, deps.timezone));
      const filter = { kind: 'today' as const, repId: rep.id, timeZone: rep.timezone, now };
      const [total, followUps, atRisk] = await Promise.all([
        countFollowUps(deps.db, filter),
        listFollowUps(deps.db, filter, MY_DAY_FOLLOW_UPS, 0),
        deps.health?.atRisk(MY_DAY_AT_RISK),
      ]);
      const item = (f: (typeof followUps)[number]) => ({
        number: f.number,
        title: f.title,
        status: f.status,
        dueAt: f.dueAt,
        company: f.company ? { id: f.company.id, name: f.company.name } : null,
      });
      res.set('Cache-Control', 'no-store').json({
        rep: { name: rep.name, timezone: rep.timezone },
        now: now.toISOString(),
        followUpTotal: total,
        overdue: followUps.filter((f) => f.dueAt.getTime() < now.getTime()).map(item),
        dueToday: followUps.filter((f) => f.dueAt.getTime() >= now.getTime()).map(item),
        atRisk: atRisk
          ? {
              threshold: AT_RISK_THRESHOLD,
              source: atRisk.source,
              asOf: atRisk.asOf,
              customers: atRisk.customers.map((c) => ({
                id: c.companyId,
                name: c.name,
                health: c.health,
                risk: c.risk,
                reason: c.reasons[0]?.text ?? null,
              })),
            }
          : null,
      });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/api/customers/:id/health', async (req: Request, res: Response) => {
    try {
      const health = deps.health;
      if (!health) throw new RapportError('unavailable', 'Customer health is not computed by this process.');
      const companyId = String(req.params.id);
      const company = isUuid(companyId) ? await findCompanyName(deps.db.prisma, companyId) : null;
      if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
      const scored = await health.customer(company.id);
      if (!scored) {
        res.set('Cache-Control', 'no-store').json({
          company,
          health: null,
          risk: null,
          atRisk: false,
          threshold: AT_RISK_THRESHOLD,
          reasons: [],
          note: NOTHING_TO_SCORE,
          // The same reason alone, for a page that says "Not scored" already.
          whyNotScored: NOT_SCORED_WHY,
        });
        return;
      }
      const reasons = await Promise.all(
        scored.reasons.map(async (r) => ({
          code: r.code,
          points: r.points,
          text: r.text,
          records: await evidenceRecords(deps.db.sql, company.id, r.recordIds ?? []),
          followUps: await evidenceFollowUps(deps.db.sql, company.id, r.followUpNumbers ?? []),
        })),
      );
      res.set('Cache-Control', 'no-store').json({
        company,
        health: scored.health,
        risk: scored.risk,
        atRisk: scored.atRisk,
        threshold: AT_RISK_THRESHOLD,
        period: scored.period,
        source: scored.source,
        reasons,
      });
    } catch (err) {
      sendError(res, err);
    }
  });
  return router;
}
