/**
 * `npm run eval:churn`: how well the at-risk list finds customers who later churn, on synthetic
 * histories (bench/insights-history.ts, "realistic": churners and stayers overlap). Prints precision
 * and recall of the at-risk list and precision among the top-k, for a few seeds. PGlite in memory.
 */
import { openDatabase } from '../src/db/open-database.ts';
import { healthInsight } from '../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../src/insights/insights-period.ts';
import { DEFAULT_BUSINESS_HOURS } from '../src/insights/business-hours.ts';
import { generateHistory, writeHistory } from './insights-history.ts';

const customers = Number(process.env.CUSTOMERS ?? 300);
const churnShare = 0.15;
const now = new Date('2026-11-30T18:00:00Z');
const rows: string[] = [];
for (const seed of [1, 2, 3]) {
  const db = await openDatabase({});
  const history = generateHistory({
    seed,
    customers,
    churners: Math.round(customers * churnShare),
    strength: 'realistic',
    now,
  });
  await writeHistory(db, history);
  const health = await healthInsight(db, parseInsightsPeriod('30d', now), {
    businessHours: DEFAULT_BUSINESS_HOURS,
    responseTargetMinutes: 240,
    publicUrl: 'http://127.0.0.1:3000',
  });
  const churned = new Set(history.companies.filter((c) => c.willChurn).map((c) => c.id));
  const flagged = health.atRisk.map((c) => c.companyId);
  const hits = flagged.filter((id) => churned.has(id)).length;
  const k = churned.size;
  const topHits = health.customers.slice(0, k).filter((c) => churned.has(c.companyId)).length;
  rows.push(
    `seed ${seed}: ${customers} customers, ${k} churn | at-risk list ${flagged.length}: precision ${(hits / Math.max(1, flagged.length)).toFixed(2)}, recall ${(hits / k).toFixed(2)} | precision@${k} ${(topHits / k).toFixed(2)}`,
  );
  await db.close();
}
console.log('Churn-risk evaluation (synthetic histories, labels planted, 30-day period, threshold 40):');
for (const r of rows) console.log(`  ${r}`);
