import type { Reply } from '../src/commands/reply-model.ts';
import { earlierSuggestionDeliveries } from '../src/db/suggestion-burst.repository.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** A customer's suggestion deliveries to one place created within this window count as one burst. */
export const SUGGESTION_BURST_WINDOW_MS = 10 * 60_000;
/** From the suggestion after this many in a burst, the rest go in the thread of the burst's first card. */
export const SUGGESTION_BURST_TOP_LEVEL = 3;
/**
 * How long a later suggestion of a burst waits for the burst's first card to be posted (counted from
 * that delivery's creation). A delivery not posted by then (its job lost, or rate-limited for long) no
 * longer counts in the burst: the next one is its first card.
 */
export const SUGGESTION_BURST_FIRST_WAIT_MS = 60_000;
/** How soon a waiting suggestion looks again whether the burst's first card is posted. */
export const SUGGESTION_BURST_RECHECK_MS = 500;

/** Where a suggestion goes in its customer's burst. */
export type BurstPlace =
  | { kind: 'top-level' }
  /** In this thread; `earlier` suggestions of the burst came before it. */
  | { kind: 'thread'; target: string; earlier: number }
  /** The burst's first card is not posted yet: look again then. */
  | { kind: 'wait'; until: Date };

/**
 * Where suggestion delivery `key` goes in `target` (200 logs for one customer must not post 200
 * cards in the channel): its place is its order, by the burst positions they take the first time
 * their place is looked up, among the customer's suggestion deliveries to the same target created at
 * most {@link SUGGESTION_BURST_WINDOW_MS} before it. The first {@link SUGGESTION_BURST_TOP_LEVEL} are posted
 * as usual; the later ones go in the thread of the burst's first card, on platforms with threads, each
 * card keeping its own buttons. Every later one waits until that first card is posted (bounded), so it
 * is also the first the channel shows. Deciding by stored position rather than by what is posted already
 * keeps concurrent deliveries of one burst (a classifier batch) from all counting too few earlier cards
 * and all posting at the top level; positions handed out one at a time (rather than creation times, read
 * while an earlier-created row may not be committed yet) keep two of them from taking the same place.
 */
export async function suggestionBurstPlace(
  deps: PipelineDeps,
  key: string,
  target: string,
  now = new Date(),
): Promise<BurstPlace> {
  const connector = deps.registry.forTarget(target);
  if (!connector.threadOf) return { kind: 'top-level' };
  const earlier = (await earlierSuggestionDeliveries(deps.db.sql, key, SUGGESTION_BURST_WINDOW_MS)).filter(
    (e) => e.status === 'sent' || now.getTime() - e.createdAt.getTime() < SUGGESTION_BURST_FIRST_WAIT_MS,
  );
  const first = earlier[0];
  if (!first) return { kind: 'top-level' };
  if (first.status !== 'sent') return { kind: 'wait', until: new Date(now.getTime() + SUGGESTION_BURST_RECHECK_MS) };
  if (earlier.length < SUGGESTION_BURST_TOP_LEVEL) return { kind: 'top-level' };
  // Its thread; if that card is not at the top level (moved by the last-step guard), the earliest that is.
  const anchor = first.topLevel ? first : earlier.find((e) => e.topLevel);
  const thread = anchor?.externalId ? connector.threadOf(target, anchor.externalId) : undefined;
  return thread ? { kind: 'thread', target: thread, earlier: earlier.length } : { kind: 'top-level' };
}

/** The note on a grouped card: why it is in a thread. */
export function withGroupNote(reply: Reply, earlier: number): Reply {
  const note = `Suggestion ${earlier + 1} for this customer in the last few minutes: grouped in this thread.`;
  return { ...reply, footer: reply.footer ? `${note} ${reply.footer}` : note };
}
