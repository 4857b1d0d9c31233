import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import type { RequestHandler } from 'express';

/** Prometheus registry of this process; jobs and connectors register their own metrics on it. */
export function createMetricsRegistry(role: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry, prefix: 'rapport_' });
  return registry;
}

/** Express middleware recording request latency by route and status. */
export function httpMetrics(registry: Registry): RequestHandler {
  const histogram = new Histogram({
    name: 'rapport_http_request_duration_seconds',
    help: 'HTTP request latency by route and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = histogram.startTimer();
    res.on('finish', () => {
      // Route patterns, not raw paths: raw paths would explode label cardinality.
      const route =
        (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other');
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
