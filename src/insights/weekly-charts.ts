import type { ReplyImage } from '../commands/reply-model.ts';
import { formatMinutes } from './format-insights-report.ts';
import { renderBarChart, type ChartRenderOptions } from './insight-charts.ts';
import type { InsightsReport } from './insights-report.service.ts';
import { isSampled, sampleNote, topicMessages } from './topic-figures.ts';

/** Topics drawn in the top-needs chart. */
const CHART_TOPICS = 8;

/**
 * The weekly post's pictures: top needs (messages per topic in the whole week, "~" when estimated
 * from a sample) and response times (median business minutes, first response and follow-ups, then per
 * channel) against the target. A chart with nothing to show is left out. Throws when drawing fails; the caller posts without pictures.
 */
export function weeklyInsightCharts(
  report: InsightsReport,
  targetMinutes: number,
  options: ChartRenderOptions = {},
): ReplyImage[] {
  const images: ReplyImage[] = [];
  const needs = report.topics.overall;
  const topics = needs.topics.slice(0, CHART_TOPICS);
  if (topics.length > 0) {
    const title = `Top needs · ${report.period.label}`;
    const note = sampleNote(needs);
    const chart = renderBarChart(
      {
        title,
        unit: note ? `messages (${note})` : 'messages',
        bars: topics.map((t) => ({ label: `${t.emerging ? '(new) ' : ''}${t.name}`, value: t.estimatedMessages })),
        ...(isSampled(needs) ? { valuePrefix: '~' } : {}),
      },
      options,
    );
    images.push({
      title,
      filename: 'top-needs.png',
      altText: `Top needs: ${topics.map((t) => `${t.name} ${topicMessages(t, needs)}`).join(', ')}${note ? ` (${note})` : ''}`,
      pngBase64: chart.png.toString('base64'),
    });
  }
  const rs = report.responsiveness;
  const rows = [
    ...rs.overall
      .filter((s) => s.kind !== 'all')
      .map((s) => ({ label: s.kind === 'first' ? 'first response' : 'follow-ups', minutes: s.medianMinutes })),
    ...rs.byChannel.filter((s) => s.kind === 'all').map((s) => ({ label: s.group, minutes: s.medianMinutes })),
  ].filter((r): r is { label: string; minutes: number } => r.minutes !== null);
  if (rows.length > 0) {
    const title = `Response times (median) · ${report.period.label}`;
    const chart = renderBarChart(
      {
        title,
        unit: 'business minutes',
        bars: rows.map((r) => ({ label: r.label, value: Math.round(r.minutes) })),
        markLine: { value: targetMinutes, label: `target ${formatMinutes(targetMinutes)}` },
      },
      options,
    );
    images.push({
      title,
      filename: 'response-times.png',
      altText: `Median response times in business minutes (target ${targetMinutes}): ${rows.map((r) => `${r.label} ${Math.round(r.minutes)}`).join(', ')}`,
      pngBase64: chart.png.toString('base64'),
    });
  }
  return images;
}
