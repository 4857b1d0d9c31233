import { csvField } from '../domain/csv.ts';
import type { InsightsReport } from './insights-report.service.ts';
import type { ResponseStats } from './response-times.ts';
import { NO_EARLIER_PERIOD, sampleNote, topicMessages, topicTrend } from './topic-figures.ts';

/** Minutes as people say them: "45 min", "3 h 20 min", "2 d 1 h" (business time). */
export function formatMinutes(minutes: number | null): string {
  if (minutes === null) return '–';
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);
const all = (stats: ResponseStats[], kind: ResponseStats['kind'] = 'all') => stats.filter((s) => s.kind === kind);

/** The report as plain text for a terminal. */
export function formatReportText(r: InsightsReport): string {
  const lines: string[] = [];
  lines.push(
    `Insights ${r.customer ? `for ${r.customer.name} ` : ''}over ${r.period.label}: ${r.period.from.slice(0, 10)} to ${r.period.to.slice(0, 10)}`,
  );
  const t = r.topics.overall;
  lines.push(
    '',
    `Needs and topics (${t.total} customer messages and logged calls/notes${sampleNote(t) ? `; topic counts ${sampleNote(t)}` : ''}${t.total > 0 && t.previousTotal === 0 ? `; ${NO_EARLIER_PERIOD}` : ''}):`,
  );
  if (t.topics.length === 0) lines.push('  not enough messages to find topics');
  for (const topic of t.topics) {
    const trend = topicTrend(topic, t);
    lines.push(
      `  ${topic.emerging ? '[emerging] ' : ''}${topic.name}: ${topicMessages(topic, t)} messages (${pct(topic.share)}${trend ? `, ${trend} vs previous period` : ''})`,
    );
  }
  lines.push('', `At risk (${r.health.atRiskCount} of ${r.health.scored} customers scored):`);
  if (r.health.atRiskCount === 0) lines.push('  nobody');
  for (const c of r.health.atRisk.slice(0, 20))
    lines.push(`  ${c.name}: risk ${c.risk} (${c.reasons.map((x) => `${x.text} +${x.points}`).join('; ')})`);
  const rs = r.responsiveness;
  lines.push('', `Responsiveness (target ${formatMinutes(rs.targetMinutes)}, business hours ${rs.businessHours}):`);
  for (const s of [...rs.overall, ...all(rs.byChannel), ...all(rs.byRep)])
    lines.push(
      `  ${s.group} ${s.kind}: ${s.turns} turns, ${s.answered} answered, median ${formatMinutes(s.medianMinutes)}, p90 ${formatMinutes(s.p90Minutes)}, within target ${pct(s.withinTargetShare)}, ${s.overdue} waiting past target`,
    );
  lines.push('', `Satisfaction (mean sentiment -1..1 per ${r.satisfaction.unit}, by ${r.satisfaction.by}):`);
  if (r.satisfaction.series.length === 0) lines.push('  no scored messages');
  for (const s of r.satisfaction.series) lines.push(`  ${s.group}: ${s.mean} over ${s.n} messages`);
  return `${lines.join('\n')}\n`;
}

/** The report as CSV: one figure per row, `section,group,kind,metric,value`. */
export function formatReportCsv(r: InsightsReport): string {
  const rows: (string | number | null)[][] = [['section', 'group', 'kind', 'metric', 'value']];
  for (const g of [r.topics.overall, ...r.topics.byLabel]) {
    rows.push(['topic_sample', g.scope, '', 'total_messages', g.total]);
    rows.push(['topic_sample', g.scope, '', 'sampled_messages', g.sampled]);
    rows.push(['topic_sample', g.scope, '', 'previous_total_messages', g.previousTotal]);
    for (const t of g.topics) {
      // The whole period's messages (estimated when sampled) and the sample's own count beside it.
      rows.push(['topic', g.scope, t.name, 'estimated_messages', t.estimatedMessages]);
      rows.push(['topic', g.scope, t.name, 'sampled_messages', t.messages]);
      rows.push(['topic', g.scope, t.name, 'share', Math.round(t.share * 1000) / 1000]);
      rows.push(['topic', g.scope, t.name, 'trend_points', t.trendPoints]);
      rows.push(['topic', g.scope, t.name, 'emerging', t.emerging ? 1 : 0]);
    }
  }
  for (const c of r.health.customers) {
    rows.push(['health', c.name, c.atRisk ? 'at-risk' : 'ok', 'risk', c.risk]);
    for (const reason of c.reasons) rows.push(['health', c.name, reason.code, 'points', reason.points]);
  }
  const rs = r.responsiveness;
  for (const [dimension, stats] of [
    ['overall', rs.overall],
    ['rep', rs.byRep],
    ['team', rs.byTeam],
    ['channel', rs.byChannel],
  ] as const)
    for (const s of stats) {
      rows.push([`response_${dimension}`, s.group, s.kind, 'turns', s.turns]);
      rows.push([`response_${dimension}`, s.group, s.kind, 'answered', s.answered]);
      rows.push([`response_${dimension}`, s.group, s.kind, 'median_minutes', s.medianMinutes]);
      rows.push([`response_${dimension}`, s.group, s.kind, 'p90_minutes', s.p90Minutes]);
      rows.push([`response_${dimension}`, s.group, s.kind, 'within_target_share', s.withinTargetShare]);
      rows.push([`response_${dimension}`, s.group, s.kind, 'overdue', s.overdue]);
    }
  for (const s of r.satisfaction.series)
    for (const p of s.points) rows.push(['satisfaction', s.group, p.bucket.slice(0, 10), 'mean_sentiment', p.mean]);
  return `${rows.map((row) => row.map((v) => csvField(v)).join(',')).join('\n')}\n`;
}
