import { DEFAULT_BUSINESS_HOURS } from '../../insights/business-hours.ts';
import { formatMinutes } from '../../insights/format-insights-report.ts';
import { contactDate, SILENCE_HORIZON_DAYS } from '../../insights/health-score.ts';
import type { CustomerHealth } from '../../insights/health.service.ts';
import { buildInsightsReport } from '../../insights/insights-report.service.ts';
import { parseInsightsPeriod } from '../../insights/insights-period.ts';
import type { InsightsSettings } from '../../insights/insights-settings.ts';
import { sampleNote, topicMessages } from '../../insights/topic-figures.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Command } from '../parse-command.ts';
import type { Reply, ReplySection } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';

/** What `insights` uses when the process gave no settings (tests, `rapport exec` without config). */
export const DEFAULT_INSIGHTS_SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'http://127.0.0.1:3000',
};

const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);

/**
 * One customer's Health field: the score with what a manager must not miss beside it (at risk, no
 * contact since a day), or why there is no score. Never "100" for a customer who stopped writing.
 */
function healthLine(health: CustomerHealth | undefined): string {
  if (!health)
    return `not scored: no message or logged call in the last ${SILENCE_HORIZON_DAYS} days and no overdue follow-up`;
  const notes: string[] = [];
  if (health.atRisk) notes.push('at risk');
  if (!health.lastInboundAt) notes.push(`no contact in the last ${SILENCE_HORIZON_DAYS} days`);
  else if (health.reasons.some((r) => r.code === 'silence'))
    notes.push(`no contact since ${contactDate(new Date(health.lastInboundAt))}`);
  return `${health.health}/100${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/**
 * `insights [customer] [--since 30d]`: a card with the top figures of the period (needs, at-risk
 * customers, response times, sentiment) and a link to the console page with the charts.
 */
export async function handleInsights(cmd: Extract<Command, { kind: 'insights' }>, h: HandlerContext): Promise<Reply> {
  const settings = h.deps.insights ?? DEFAULT_INSIGHTS_SETTINGS;
  const period = parseInsightsPeriod(cmd.since, h.ctx.now);
  const since = cmd.since ? ` --since ${period.label}` : '';
  const customer = cmd.customer
    ? await resolveCustomer(h, cmd.customer, {
        requireExact: false,
        commandFor: (name) => `insights ${q(name)}${since}`,
      })
    : undefined;
  const report = await buildInsightsReport(h.deps.db, settings, period, {
    companyIds: customer ? [customer.companyId] : undefined,
    customer: customer ? { id: customer.companyId, name: customer.companyName } : undefined,
  });
  const fields: Reply['fields'] = [];
  const sections: ReplySection[] = [];
  const topics = report.topics.overall;
  const first = report.responsiveness.overall.find((s) => s.kind === 'first');
  const all = report.responsiveness.overall.find((s) => s.kind === 'all');
  if (customer) {
    const health = report.health.customers[0];
    fields.push({ label: 'Health', value: healthLine(health) });
    if (health) for (const r of health.reasons.slice(0, 4)) sections.push({ text: `+${r.points} risk: ${r.text}` });
  } else {
    fields.push({
      label: 'At risk',
      value: `${report.health.atRiskCount} of ${report.health.scored} customers`,
    });
    for (const c of report.health.atRisk.slice(0, 3)) {
      h.about.add(c.companyId);
      sections.push({
        title: `${c.name}: health ${c.health}/100`,
        text: c.reasons
          .slice(0, 2)
          .map((r) => r.text)
          .join('; '),
        buttons: [{ label: 'Insights', command: `insights ${q(c.name)}${since}` }],
      });
    }
  }
  fields.push({
    label: 'Top needs',
    value:
      topics.topics.length === 0
        ? `${topics.total} customer messages and logged calls/notes (too few for topics)`
        : `${topics.topics
            .slice(0, 3)
            .map((t) => `${t.name} (${topicMessages(t, topics)})`)
            .join(', ')}${sampleNote(topics) ? `; ${sampleNote(topics)}` : ''}`,
  });
  const emerging = topics.topics.filter((t) => t.emerging);
  if (emerging.length > 0) fields.push({ label: 'Emerging', value: emerging.map((t) => t.name).join(', ') });
  fields.push({
    label: 'First response',
    value:
      first?.medianMinutes != null
        ? `median ${formatMinutes(first.medianMinutes)} (${first.answered} answered)`
        : 'no answered messages',
  });
  fields.push({
    label: 'Within target',
    value: `${pct(all?.withinTargetShare ?? null)} of replies within ${formatMinutes(settings.responseTargetMinutes)}; ${all?.overdue ?? 0} waiting past it`,
  });
  const mood = report.satisfaction.series;
  const n = mood.reduce((s, x) => s + x.n, 0);
  if (n > 0)
    fields.push({
      label: 'Sentiment',
      value: `${(mood.reduce((s, x) => s + x.mean * x.n, 0) / n).toFixed(2)} (-1..1, ${n} messages)`,
    });
  const url = `${settings.publicUrl}/console/insights?since=${period.label}${customer ? `&customer=${customer.companyId}` : ''}`;
  return {
    tone: 'info',
    title: `Insights${customer ? `: ${customer.companyName}` : ''} · last ${period.label}`,
    text: `Insights${customer ? ` for ${customer.companyName}` : ''} over the last ${period.label}. Charts and the records behind each figure: ${url}`,
    fields,
    sections,
    footer: `Charts: ${url}`,
  };
}
