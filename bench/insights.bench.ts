/**
 * `npm run bench:insights`: seeds a large history with generate_series in SQL (default 10,000
 * customers, 100,000 conversations, 1,000,000 messages over a year) into a scratch PostgreSQL
 * database, then times every insights endpoint and the report over HTTP (the real router), cold (first
 * call) and warm (p50/p95 of the following calls), with the load average. The same on PGlite at a
 * tenth of the size (BENCH_PGLITE_SCALE) beside it: PGlite runs in one WebAssembly thread.
 * 45d has no snapshot: it shows the daily rollups (whole days) plus the live edges.
 * Env: BENCH_CUSTOMERS (10000), BENCH_RUNS (7), BENCH_PGLITE_SCALE (0.1), BENCH_ONLY (time only the
 * endpoints whose path contains it, e.g. `45d`), BENCH_SKIP_PGLITE=1 (PostgreSQL only), BENCH_REUSE=1 (keep the seeded PostgreSQL database
 * `rapport_bench_keep_<customers>` and reuse it on the next run: the 1M seed takes minutes; the
 * refresh job still runs every time, so changed rollups are rebuilt), RAPPORT_TEST_POSTGRES_URL.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { refreshInsightSnapshots } from '../src/insights/insight-snapshots.service.ts';
import { loadavg } from 'node:os';
import express from 'express';
import pg from 'pg';
import { createInsightsRouter } from '../connectors/console/insights.router.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { DEFAULT_BUSINESS_HOURS } from '../src/insights/business-hours.ts';
import { BENCH_NOW as NOW, seedInsightsVolume as seed } from './insights-seed.ts';

const ADMIN_URL = process.env.RAPPORT_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PGLITE_SCALE = Number(process.env.BENCH_PGLITE_SCALE ?? 0.1);

/** `md5('c1')::uuid`: the first seeded customer, for the per-customer (live) endpoints. */
const FIRST = createHash('md5')
  .update('c1')
  .digest('hex')
  .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const ALL_ENDPOINTS = [
  '/api/insights/topics?since=30d',
  '/api/insights/health?since=30d',
  '/api/insights/responsiveness?since=30d',
  '/api/insights/satisfaction?since=30d&by=team',
  '/api/insights/satisfaction?since=30d&by=label',
  '/api/insights/report?since=30d&format=json',
  `/api/insights/health?since=30d&customer=${FIRST}`,
  `/api/insights/responsiveness?since=30d&customer=${FIRST}`,
  `/api/insights/report?since=30d&format=json&customer=${FIRST}`,
  // No snapshot for 45d: whole days from the daily rollups, the edges live (topics: a sample, cached 10 minutes).
  '/api/insights/topics?since=45d',
  '/api/insights/health?since=45d',
  '/api/insights/responsiveness?since=45d',
  '/api/insights/satisfaction?since=45d&by=team',
  '/api/insights/satisfaction?since=45d&by=label',
  '/api/insights/report?since=45d&format=json',
  // Every customer (10,000 at full size) instead of the riskiest 1,000: what `--all` costs.
  '/api/insights/report?since=45d&format=json&all=1',
];
const ENDPOINTS = ALL_ENDPOINTS.filter((p) => p.includes(process.env.BENCH_ONLY ?? ''));

const SETTINGS = { businessHours: DEFAULT_BUSINESS_HOURS, responseTargetMinutes: 240, publicUrl: 'http://bench' };

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

async function measure(db: Database): Promise<Map<string, { cold: number; p50: number; p95: number }>> {
  const app = express();
  app.use(
    createInsightsRouter({
      db,
      settings: SETTINGS,
      now: () => NOW,
    }),
  );
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const out = new Map<string, { cold: number; p50: number; p95: number }>();
  try {
    for (const path of ENDPOINTS) {
      const times: number[] = [];
      for (let i = 0; i <= RUNS; i++) {
        const t0 = performance.now();
        const res = await fetch(base + path);
        if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        times.push(performance.now() - t0);
      }
      const [cold, ...warm] = times;
      warm.sort((a, b) => a - b);
      out.set(path, { cold, p50: pct(warm, 0.5), p95: pct(warm, 0.95) });
      console.error(`  ${db.kind} ${path}: cold ${cold.toFixed(0)} ms, p95 ${pct(warm, 0.95).toFixed(0)} ms`);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
  return out;
}

async function onPostgres(customers: number) {
  const reuse = process.env.BENCH_REUSE === '1';
  const name = reuse ? `rapport_bench_keep_${customers}` : `rapport_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  if (!exists) await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), migrate: true });
  try {
    const t0 = performance.now();
    // The seed is one statement batch (one transaction): a follow-up row means it all committed.
    const [{ n }] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "FollowUp"`);
    if (n === 0) await seed(db, customers);
    else console.error(`  postgres: reusing the seeded database ${name} (BENCH_REUSE=1)`);
    const seeded = (performance.now() - t0) / 1000;
    console.error(`  postgres seeded in ${seeded.toFixed(0)} s`);
    const t1 = performance.now();
    const took = await refreshInsightSnapshots(db, SETTINGS, NOW);
    const refresh = (performance.now() - t1) / 1000;
    console.error(`  ${db.kind} snapshots refreshed in ${refresh.toFixed(0)} s (${JSON.stringify(took)})`);
    return { seeded, refresh, figures: await measure(db) };
  } finally {
    await db.close();
    if (!reuse) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function onPglite(customers: number) {
  const db = await openDatabase({ migrate: true });
  try {
    const t0 = performance.now();
    await seed(db, customers);
    const seeded = (performance.now() - t0) / 1000;
    console.error(`  pglite seeded in ${seeded.toFixed(0)} s`);
    const t1 = performance.now();
    const took = await refreshInsightSnapshots(db, SETTINGS, NOW);
    const refresh = (performance.now() - t1) / 1000;
    console.error(`  ${db.kind} snapshots refreshed in ${refresh.toFixed(0)} s (${JSON.stringify(took)})`);
    return { seeded, refresh, figures: await measure(db) };
  } finally {
    await db.close();
  }
}

const before = loadavg();
const pgCustomers = CUSTOMERS;
const liteCustomers = Math.max(100, Math.round(CUSTOMERS * PGLITE_SCALE));
console.log(
  `bench:insights · PostgreSQL ${pgCustomers * 100} messages / ${pgCustomers * 10} records / ${pgCustomers} customers; PGlite ${liteCustomers * 100} / ${liteCustomers * 10} / ${liteCustomers}; ${RUNS} warm runs per endpoint`,
);
const postgres = await onPostgres(pgCustomers);
// BENCH_SKIP_PGLITE=1 while iterating on PostgreSQL alone (the table then shows PGlite as –).
const lite = process.env.BENCH_SKIP_PGLITE === '1' ? undefined : await onPglite(liteCustomers);
const after = loadavg();
console.log(`seeding: PostgreSQL ${postgres.seeded.toFixed(0)} s, PGlite ${lite?.seeded.toFixed(0) ?? '–'} s`);
console.log(
  `refresh-insights job (daily rollups, then 7d, 30d, 90d snapshots; whole-team 30d endpoints below are served from the snapshots, 45d from the rollups): PostgreSQL ${postgres.refresh.toFixed(0)} s, PGlite ${lite?.refresh.toFixed(0) ?? '–'} s`,
);
const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
console.log(
  `${'endpoint'.padEnd(52)} ${'PG cold'.padStart(9)} ${'PG p50'.padStart(9)} ${'PG p95'.padStart(9)} | ${'lite cold'.padStart(9)} ${'lite p50'.padStart(9)} ${'lite p95'.padStart(9)}`,
);
for (const path of ENDPOINTS) {
  const a = postgres.figures.get(path)!;
  const b = lite?.figures.get(path);
  console.log(
    `${path.replace(FIRST, '<id>').padEnd(52)} ${f(a.cold)} ${f(a.p50)} ${f(a.p95)} | ${b ? `${f(b.cold)} ${f(b.p50)} ${f(b.p95)}` : '        –'}`,
  );
}
console.log(
  `load average (1/5/15 min): before ${before.map((x) => x.toFixed(2)).join(' ')}, after ${after.map((x) => x.toFixed(2)).join(' ')} (2 cores, shared)`,
);
