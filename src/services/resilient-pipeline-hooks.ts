import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../logger.ts';
import { MISSED_DEADLINE, withinDeadline } from '../concurrency/deadline.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';

/** How long a hook may take before the write it follows is answered anyway (Redis down or restarting). */
export const PIPELINE_HOOK_TIMEOUT_MS = 2_000;

const delays = new AsyncLocalStorage<{ delayed: boolean }>();

/**
 * Runs `work` and says whether any pipeline hook called inside it failed or timed out. The command layer
 * uses it to answer "saved; classification delayed" instead of an error: by then the write has committed.
 */
export async function trackPipelineDelays<T>(work: () => Promise<T>): Promise<{ result: T; delayed: boolean }> {
  const store = { delayed: false };
  const result = await delays.run(store, work);
  return { result, delayed: store.delayed };
}

/**
 * Hooks that never fail the write they follow. Each hook runs after its transaction committed, so an
 * unreachable queue must not turn a saved record into "something went wrong" (a rep who retries would
 * log it twice with a new key). A failed or slow hook (over `timeoutMs`) is logged and noted for
 * `trackPipelineDelays`; the reconciler re-derives what is missing (unclassified messages, reminders)
 * from the database once Redis answers again.
 */
export function resilientPipelineHooks(
  hooks: PipelineHooks,
  logger: Logger,
  timeoutMs = PIPELINE_HOOK_TIMEOUT_MS,
): PipelineHooks {
  const guard = async (name: string, ids: Record<string, string>, call: () => Promise<void>): Promise<void> => {
    try {
      if ((await withinDeadline(call(), timeoutMs)) === MISSED_DEADLINE)
        throw new Error(`no answer from the job queue within ${timeoutMs} ms`);
    } catch (err) {
      const store = delays.getStore();
      if (store) store.delayed = true;
      logger.warn(
        { hook: name, ...ids, err: (err as Error).message },
        'pipeline hook failed after the write committed; the reconciler will catch up',
      );
    }
  };
  const resilient: PipelineHooks = {
    recordLogged: (recordId, messageId) =>
      guard('recordLogged', { recordId, messageId }, () => hooks.recordLogged(recordId, messageId)),
    followUpChanged: (followUpId, change) =>
      guard('followUpChanged', { followUpId }, () => hooks.followUpChanged(followUpId, change)),
  };
  const edited = hooks.messageEdited?.bind(hooks);
  if (edited)
    resilient.messageEdited = (recordId, messageId, editedAt) =>
      guard('messageEdited', { recordId, messageId }, () => edited(recordId, messageId, editedAt));
  const bulk = hooks.recordsLogged?.bind(hooks);
  if (bulk)
    resilient.recordsLogged = (logged) =>
      guard('recordsLogged', { messages: String(logged.length), firstMessageId: logged[0]?.messageId ?? '' }, () =>
        bulk(logged),
      );
  const retracted = hooks.cardsRetracted?.bind(hooks);
  if (retracted)
    resilient.cardsRetracted = (cards, reason) =>
      guard('cardsRetracted', { cards: String(cards.length), reason }, () => retracted(cards, reason));
  // Runs inside the caller's transaction: its failure must fail (roll back) the change, so it is not guarded.
  if (hooks.recordCardRetractions) resilient.recordCardRetractions = hooks.recordCardRetractions.bind(hooks);
  if (hooks.recordCardRefreshes) resilient.recordCardRefreshes = hooks.recordCardRefreshes.bind(hooks);
  const held = hooks.authorHeld?.bind(hooks);
  if (held)
    resilient.authorHeld = (key) =>
      guard('authorHeld', { channelRef: key.channelRef, authorKey: key.authorKey }, () => held(key));
  return resilient;
}
