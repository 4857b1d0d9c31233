import type { TopicGroup, TopicView } from './topics.service.ts';

const count = (n: number) => n.toLocaleString('en-US');

/** Whether a group's topics were clustered from a sample of its messages rather than all of them. */
export function isSampled(group: Pick<TopicGroup, 'total' | 'sampled'>): boolean {
  return group.sampled < group.total;
}

/**
 * A topic's messages in the whole period as a manager reads them: "816", or "~816" when the period
 * was read through a sample (its share of the sample times the period's total). The sample's own
 * count is never shown as the period's: at 2,400 messages every surface said 340 where the estimate
 * was 816 (review, 2026-12).
 */
export function topicMessages(
  topic: Pick<TopicView, 'estimatedMessages'>,
  group: Pick<TopicGroup, 'total' | 'sampled'>,
): string {
  return `${isSampled(group) ? '~' : ''}${count(topic.estimatedMessages)}`;
}

/** "estimated from a sample of 1,000 of 2,400 messages", or undefined when every message was read. */
export function sampleNote(group: Pick<TopicGroup, 'total' | 'sampled'>): string | undefined {
  return isSampled(group)
    ? `estimated from a sample of ${count(group.sampled)} of ${count(group.total)} messages`
    : undefined;
}

/**
 * A topic's trend as a manager reads it: "+3.4 pts" (its share now minus before), or undefined when
 * the previous period had no messages (then every share "rose" from 0: see {@link NO_EARLIER_PERIOD}).
 */
export function topicTrend(
  topic: Pick<TopicView, 'trendPoints'>,
  group: Pick<TopicGroup, 'previousTotal'>,
): string | undefined {
  if (group.previousTotal === 0) return undefined;
  return `${topic.trendPoints >= 0 ? '+' : ''}${topic.trendPoints} pts`;
}

/** Said once instead of a trend per topic when the previous period had no messages. */
export const NO_EARLIER_PERIOD = 'new: no earlier period to compare';
