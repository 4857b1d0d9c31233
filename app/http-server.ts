import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/logger.ts';
import { httpMetrics } from './metrics.ts';
import { runReadinessChecks, type ReadinessCheck, type ReadinessReport } from '../src/runtime/readiness.ts';
import { httpErrorAnswer } from './http-error-answer.ts';
import { applyTrustProxy } from './trust-proxy.ts';
import { DEFAULT_TRUST_PROXY } from '../src/config/trust-proxy.ts';

export interface HttpServerOptions {
  logger: Logger;
  /** Whose forwarding headers to believe (config `trustProxy`, env `RAPPORT_TRUST_PROXY`). Default: loopback. */
  trustProxy?: string | number;
  metrics: Registry;
  readiness: () => ReadinessCheck[];
  /**
   * `starting`: only /healthz, /readyz and /metrics answer (others 503); `draining` (shutting down):
   * /readyz answers 503 so a load balancer stops sending traffic.
   */
  phase: () => 'starting' | 'running' | 'draining';
  /**
   * Whether a /readyz request may read the checks' details (which name customers and channels): the
   * operator's own tools. Others (a load balancer, the internet through the same listener as the Slack
   * and Teams endpoints) get the status and each check's ok alone. Default: nobody.
   */
  showDetails?: (req: express.Request) => boolean;
}

/**
 * The bot's HTTP app: /healthz (alive), /readyz (dependencies, JSON), /metrics (Prometheus).
 * Connectors mount their routes on it (console, /slack/events, /api/messages).
 * No global body parser: Slack and Bot Framework verify signatures over the raw body themselves.
 */
export function createHttpApp(opts: HttpServerOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  applyTrustProxy(app, opts.trustProxy ?? DEFAULT_TRUST_PROXY, opts.logger);
  app.use(httpMetrics(opts.metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (req, res) => {
    const report = await runReadinessChecks(opts.readiness());
    const phase = opts.phase();
    const status = phase !== 'running' ? phase : report.ok ? 'ready' : 'not_ready';
    const shown = opts.showDetails?.(req) ? report : withoutDetails(report);
    res.status(status === 'ready' ? 200 : 503).json({ status, ...shown });
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', opts.metrics.contentType);
    res.send(await opts.metrics.metrics());
  });

  app.use((_req, res, next) => {
    if (opts.phase() !== 'starting') return next();
    res
      .status(503)
      .set('Retry-After', '2')
      .json({ error: 'starting', message: 'Rapport is starting; try again in a few seconds.' });
  });

  return app;
}

/** A readiness report for anyone: each check's ok and time, and a sentence on where its details are. */
function withoutDetails(report: ReadinessReport): ReadinessReport {
  const detail = 'details for the operator only: from this machine, with RAPPORT_CONSOLE_TOKEN, or `rapport doctor`';
  return {
    ok: report.ok,
    checks: Object.fromEntries(
      Object.entries(report.checks).map(([name, c]) => [name, { ok: c.ok, ms: c.ms, detail }]),
    ),
  };
}

/** Final handlers, mounted after every connector: 404 and a JSON error without stack traces. */
export function finishHttpApp(app: Express, logger: Logger): void {
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such page. Try /console, /healthz or /readyz.' });
  });
  app.use((err: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const answer = httpErrorAnswer(err);
    if (answer.status >= 500) logger.error({ err, path: req.path }, 'unhandled HTTP error');
    if (res.headersSent) return;
    if (answer.status === 503) res.set('Retry-After', '30');
    res.status(answer.status).json(answer.body);
  });
}
