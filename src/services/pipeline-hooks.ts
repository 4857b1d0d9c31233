import type { DbClient } from '../db/db-client.ts';
import type { PostedCard } from '../db/posted-card.repository.ts';
import type { CardRetraction } from './posted-cards.service.ts';

/** A message that a commit logged, and its record. */
export interface LoggedMessage {
  recordId: string;
  messageId: string;
}

/**
 * What the command layer tells the background pipeline after a write has committed. The BullMQ
 * pipeline implements this (enqueue classification, reschedule reminders); services never import
 * bullmq themselves, so the domain core runs and tests without Redis.
 */
export interface PipelineHooks {
  /** A communication record got a new message: enqueue its classification. */
  recordLogged(recordId: string, messageId: string): Promise<void>;
  /**
   * Several messages were logged by one commit (an IMAP batch): the same as `recordLogged` for each,
   * in one round trip. Optional; without it `recordLogged` is called once per message.
   */
  recordsLogged?(logged: readonly LoggedMessage[]): Promise<void>;
  /**
   * A logged message's text changed (a chat edit) and its old classification was removed: classify it
   * again. Optional; without it `recordLogged` is called, which may be a no-op while the first
   * classification job is still remembered.
   */
  messageEdited?(recordId: string, messageId: string, editedAt: Date): Promise<void>;
  /**
   * A follow-up was created, rescheduled, reassigned or closed: (re)schedule or cancel its reminder, and
   * refresh its posted card. `change` names the change when its refresh was written down in the change's
   * transaction (`recordCardRefreshes`): the refresh queued here is then that same delivery.
   */
  followUpChanged(followUpId: string, change?: string): Promise<void>;
  /**
   * The data these posted cards quoted is gone (customer erased, message deleted): each card is
   * replaced by one line that quotes nothing. Optional: without a pipeline the cards stay as posted.
   */
  cardsRetracted?(cards: readonly PostedCard[], reason: CardRetraction): Promise<void>;
  /**
   * Runs before the commit, as `recordCardRefreshes` does: writes the retractions `cardsRetracted` will
   * queue down in the transaction (`tx`) that removes the data, so that they commit with it. A process
   * that dies between that commit and `cardsRetracted` (a SIGKILL, a deploy) would otherwise leave the
   * erased words in the channel for good; written down, the reconciler queues them. It throws like any
   * write in `tx` (the change then rolls back). Optional: only a pipeline that queues retractions has it.
   */
  recordCardRetractions?(tx: DbClient, cards: readonly PostedCard[], reason: CardRetraction): Promise<void>;
  /**
   * Like `recordCardRetractions`, before the commit: writes the refreshes of these follow-ups' posted
   * cards down in the transaction (`tx`) that changes what the cards show (a message edited or deleted,
   * a suggestion dismissed with it), under `change`, the id the caller passes to `followUpChanged` after
   * the commit. A process killed in between left the card showing the old words, or Accept on a
   * suggestion dismissed, for good. Optional: only a pipeline that refreshes cards has it.
   */
  recordCardRefreshes?(tx: DbClient, followUpIds: readonly string[], change: string): Promise<void>;
  /**
   * A message was held as `unknown` because the platform could not say who wrote it: ask again later
   * through the queue (the held-author job), so it is decided even if this process stops. Optional:
   * without it the held messages wait for the author's next message or the reconciler's sweep.
   */
  authorHeld?(held: { platform: string; channelRef: string; authorKey: string }): Promise<void>;
}

/** Hooks that do nothing: tests, and `rapport exec` when no pipeline runs in the process. */
export const noopPipelineHooks: PipelineHooks = {
  async recordLogged() {},
  async followUpChanged() {},
};
