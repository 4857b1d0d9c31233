import type { Database } from '../db/database.ts';
import { erasureMark, inboundCountsByLabel, inboundTexts, type InboundText } from '../db/insights.repository.ts';
import type { InsightsPeriod } from './insights-period.ts';
import { clusterTopics, type ClusteredTopic } from './topic-clustering.ts';

/**
 * Most messages of each period read for topics: a deterministic sample beyond this (README, "Insights").
 * 1,000 rather than 1,500: clustering the sample overall and per label is most of a period's first topics
 * call, and at 1,500 it alone took 0.9-1.5 s of the 2.6-3.2 s (bench:insights, 45d, 1M messages).
 */
export const TOPIC_SAMPLE_LIMIT = 1000;

/** A topic as shown: the clustering's figures, its estimated size in the whole period and example messages. */
export interface TopicView extends Omit<ClusteredTopic, 'memberIds' | 'exampleIds'> {
  /** Messages in the whole period this topic stands for (the sample's share times the period's total). */
  estimatedMessages: number;
  examples: { messageId: string; recordId: string; text: string }[];
  /** Every sampled message of the topic (ids), to check what it was made of. */
  messageIds: string[];
}

export interface TopicGroup {
  /** `all` or a label. */
  scope: string;
  /** Inbound messages in the period (all of them) and how many were read. */
  total: number;
  sampled: number;
  previousTotal: number;
  topics: TopicView[];
}

export interface TopicsInsight {
  overall: TopicGroup;
  byLabel: TopicGroup[];
}

const cache = new WeakMap<Database, Map<string, { at: number; mark: string; value: TopicsInsight }>>();
/** Topics of the same period and scope are computed once per this long (clustering is CPU work). */
const CACHE_MS = 10 * 60_000;

/**
 * Needs and topics: the period's inbound messages clustered overall and per label, each topic named
 * by its top terms, with its count, trend against the previous period, examples and "emerging" flag.
 */
export async function topicsInsight(
  db: Database,
  period: InsightsPeriod,
  opts: { companyIds?: string[]; seed?: number } = {},
): Promise<TopicsInsight> {
  const key = `${period.from.toISOString()}|${period.to.toISOString()}|${opts.companyIds?.join(',') ?? '*'}|${opts.seed ?? ''}`;
  const perDb = cache.get(db) ?? new Map<string, { at: number; mark: string; value: TopicsInsight }>();
  cache.set(db, perDb);
  // Read before computing; a topic computed before an erasure in any process is not served after it
  // (its examples quote the erased customer's messages).
  const mark = await erasureMark(db.sql);
  const hit = perDb.get(key);
  if (hit && hit.mark === mark && Date.now() - hit.at < CACHE_MS) return hit.value;

  const [current, previous, labelTotals] = await Promise.all([
    inboundTexts(db.sql, { from: period.from, to: period.to, companyIds: opts.companyIds, limit: TOPIC_SAMPLE_LIMIT }),
    inboundTexts(db.sql, {
      from: period.previousFrom,
      to: period.from,
      companyIds: opts.companyIds,
      limit: TOPIC_SAMPLE_LIMIT,
    }),
    inboundCountsByLabel(db.sql, { from: period.from, to: period.to, companyIds: opts.companyIds }),
  ]);
  const group = (
    scope: string,
    cur: InboundText[],
    prev: InboundText[],
    total: number,
    previousTotal: number,
  ): TopicGroup => {
    const byId = new Map(cur.map((m) => [m.id, m]));
    const clustered = clusterTopics(cur, prev, { seed: opts.seed });
    const clusteredCount = clustered.reduce((s, t) => s + t.messages, 0);
    return {
      scope,
      total,
      sampled: cur.length,
      previousTotal,
      topics: clustered.map(({ memberIds, exampleIds, ...t }) => ({
        ...t,
        estimatedMessages:
          clusteredCount === 0 ? 0 : Math.round(t.share * total * (clusteredCount / Math.max(1, cur.length))),
        examples: exampleIds.map((id) => {
          const m = byId.get(id)!;
          return {
            messageId: id,
            recordId: m.recordId,
            text: m.text.length > 200 ? `${m.text.slice(0, 199)}…` : m.text,
          };
        }),
        messageIds: memberIds,
      })),
    };
  };
  const labels = [...new Set(current.rows.map((m) => m.label ?? 'unlabelled'))].sort();
  const value: TopicsInsight = {
    overall: group('all', current.rows, previous.rows, current.total, previous.total),
    byLabel: labels
      .map((label) =>
        group(
          label,
          current.rows.filter((m) => (m.label ?? 'unlabelled') === label),
          previous.rows.filter((m) => (m.label ?? 'unlabelled') === label),
          labelTotals.get(label) ?? 0,
          // The previous period's per-label total, estimated from its sample.
          Math.round(
            (previous.rows.filter((m) => (m.label ?? 'unlabelled') === label).length * previous.total) /
              Math.max(1, previous.rows.length),
          ),
        ),
      )
      .filter((g) => g.topics.length > 0),
  };
  perDb.set(key, { at: Date.now(), mark, value });
  return value;
}
