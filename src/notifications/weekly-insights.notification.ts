import type { Reply, ReplySection } from '../commands/reply-model.ts';
import type { Database } from '../db/database.ts';
import { companiesServedBy } from '../db/insights.repository.ts';
import { formatMinutes } from '../insights/format-insights-report.ts';
import { buildInsightsReport } from '../insights/insights-report.service.ts';
import { parseInsightsPeriod } from '../insights/insights-period.ts';
import type { InsightsSettings } from '../insights/insights-settings.ts';
import { NO_EARLIER_PERIOD, sampleNote, topicMessages, topicTrend } from '../insights/topic-figures.ts';
import { weeklyInsightCharts } from '../insights/weekly-charts.ts';
import type { Logger } from '../logger.ts';

/**
 * Replies a rep needs in the week before the post names them slowest: one reply is no median to judge
 * anyone by (review: "Slowest median: Bob 3 h 36 min" rested on Bob's single reply beside Ann's 20).
 */
export const VERDICT_MIN_REPLIES = 5;

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`);

/**
 * The weekly insights post for one team channel: the last 7 days of its customers (the default
 * channel: customers without a team channel) — top needs with emerging ones flagged, at-risk
 * customers with their main reasons, response times against the target — and a link to the page,
 * with the top-needs and response-time charts as pictures. When the pictures cannot be drawn the
 * post goes without them (`logger` hears why).
 */
export async function buildWeeklyInsights(
  db: Database,
  target: string,
  settings: InsightsSettings,
  now = new Date(),
  logger?: Logger,
): Promise<Reply> {
  const companyIds = await companiesServedBy(db.sql, target);
  const period = parseInsightsPeriod('7d', now);
  const report = await buildInsightsReport(db, settings, period, { companyIds });
  const sections: ReplySection[] = [];
  const needs = report.topics.overall;
  const topics = needs.topics.slice(0, 5);
  if (topics.length > 0) {
    const trendOf = (t: (typeof topics)[number]) => topicTrend(t, needs);
    const notes = [sampleNote(needs), needs.previousTotal === 0 ? NO_EARLIER_PERIOD : undefined].filter(Boolean);
    sections.push({
      title: 'Top needs',
      text: [
        ...topics.map(
          (t) =>
            `${t.emerging ? '🆕 ' : ''}${t.name}: ${topicMessages(t, needs)}${trendOf(t) ? ` (${trendOf(t)})` : ''}`,
        ),
        ...(notes.length > 0 ? [`(${notes.join('; ')})`] : []),
      ].join('\n'),
    });
  }
  const atRisk = report.health.atRisk.slice(0, 5);
  sections.push({
    title: `At risk: ${report.health.atRiskCount}`,
    text:
      atRisk.length === 0
        ? 'Nobody this week.'
        : atRisk.map((c) => `${c.name} (health ${c.health}): ${c.reasons[0]?.text ?? ''}`).join('\n'),
    buttons: atRisk
      .slice(0, 3)
      .map((c) => ({ label: c.name.slice(0, 30), command: `insights "${c.name.replace(/"/g, '')}"` })),
  });
  const first = report.responsiveness.overall.find((s) => s.kind === 'first');
  const all = report.responsiveness.overall.find((s) => s.kind === 'all');
  const slowestRep = report.responsiveness.byRep
    .filter((s) => s.kind === 'all' && s.medianMinutes !== null && s.answered >= VERDICT_MIN_REPLIES)
    .sort((a, b) => (b.medianMinutes ?? 0) - (a.medianMinutes ?? 0))[0];
  const url = `${settings.publicUrl}/console/insights?since=7d`;
  let images: Reply['images'];
  try {
    images = weeklyInsightCharts(report, settings.responseTargetMinutes, { fontFile: settings.chartFontFile });
  } catch (err) {
    logger?.warn(
      { target, err: err instanceof Error ? err.message : String(err) },
      'weekly insights charts could not be drawn; posting without them',
    );
  }
  return {
    tone: 'info',
    visibility: 'channel',
    title: 'Weekly insights · last 7 days',
    text: `Weekly insights: ${report.topics.overall.total} customer messages, ${report.health.atRiskCount} customers at risk, first response median ${formatMinutes(first?.medianMinutes ?? null)}. Charts: ${url}`,
    fields: [
      { label: 'Customer messages', value: String(report.topics.overall.total) },
      { label: 'First response (median)', value: formatMinutes(first?.medianMinutes ?? null) },
      {
        label: 'Within target',
        value: `${pct(all?.withinTargetShare)} within ${formatMinutes(settings.responseTargetMinutes)}; ${all?.overdue ?? 0} waiting past it`,
      },
      ...(slowestRep
        ? [
            {
              label: 'Slowest median',
              value: `${slowestRep.group}: ${formatMinutes(slowestRep.medianMinutes)} (${slowestRep.answered} replies)`,
            },
          ]
        : []),
    ],
    sections,
    footer: `Charts and the records behind each figure: ${url}`,
    ...(images?.length ? { images } : {}),
    // The customers it names (at risk): erasing one takes the post back.
    ...(atRisk.length > 0 ? { about: atRisk.map((c) => c.companyId) } : {}),
  };
}
