import type { CardRetraction } from '../src/services/posted-cards.service.ts';

/**
 * Job payloads carry ids only: every handler reloads the rows and returns early when the state has
 * moved on, so a rerun, a duplicate or a job that outlived its follow-up is harmless.
 */

export interface ClassifyCommunicationData {
  recordId: string;
  messageId: string;
}

/**
 * The messages one commit logged (an IMAP sync's batch): one job for all of them instead of one
 * each, so a sync costs Redis one job per batch. Its messages are classified as single jobs' are;
 * one that fails there is queued again as a single job of its own (`classify-<messageId>`), so it
 * retries alone and its neighbours are done.
 */
export interface ClassifyBatchData {
  messages: ClassifyCommunicationData[];
}

/** What a job of the classify queue carries: one message, or a commit's messages. */
export type ClassifyJobData = ClassifyCommunicationData | ClassifyBatchData;

/** What a delivery posts; the reply is built from the database when the job runs, not when it was queued. */
export type DeliveryKind =
  | 'suggestion'
  | 'reminder'
  | 'escalation'
  | 'digest'
  | 'insights'
  | 'refresh'
  | 'notice'
  | 'retract';

export interface DeliverMessageData {
  /** Idempotency key stored in the Delivery table: the same key is posted at most once. */
  key: string;
  kind: DeliveryKind;
  /** Where to post ("console:team", "slack:T1/C2", ...). For `refresh`, the message's own target. */
  target: string;
  followUpId?: string;
  /** For `notice`: the AuditLog row whose `details.text` is posted (retrain results and similar). */
  auditId?: string;
  /** For `refresh` and `retract`: the platform message id to update in place. */
  externalId?: string;
  /** For `retract`: why the card is taken back (its data erased or deleted, or its place shared with outsiders). */
  reason?: CardRetraction;
  /**
   * A copy of a reminder sent to the assignee in private (Slack DM, Teams 1:1): it never becomes the
   * follow-up's card (messageRef stays the channel's) and the last-step guard takes the platform's
   * word that only that person reads it.
   */
  direct?: boolean;
}

export interface FollowUpReminderData {
  followUpId: string;
  /** The due time this job was scheduled for; a follow-up rescheduled since makes the job a no-op. */
  dueEpochMs: number;
}

export interface EscalateOverdueData {
  followUpId: string;
  dueEpochMs: number;
}

export interface DailyDigestData {
  /** The channel to digest ("console:team", "slack:T1/C2"). */
  target: string;
  timezone: string;
}

/** The weekly insights post of one team channel (same targets as the daily digest). */
export interface WeeklyInsightsData {
  target: string;
  timezone: string;
}

export interface RetrainModelData {
  /** Who asked ("schedule" for the nightly run). */
  requestedBy: string;
}

export interface ReconcileSchedulesData {
  /**
   * Queued by a process that found Redis emptied (FLUSHALL, a restart without persistence): every job
   * may be gone, so unclassified messages and unsent deliveries are queued again however young.
   */
  afterLoss?: boolean;
}

/** One author whose chat messages are held as `unknown` in one channel (see decide-held-author.job.ts). */
export interface DecideHeldAuthorData {
  platform: 'slack' | 'teams';
  channelRef: string;
  /** The held messages' `metadata.author` ("slack:T1/U1", "teams:<aad id>"). */
  authorKey: string;
  /** Which step of HELD_RETRY_MS this try is; -1 for the reconciler's sweep (no follow-up step). */
  step: number;
}
