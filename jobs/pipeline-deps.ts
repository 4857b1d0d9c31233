import type { Redis } from 'ioredis';
import type { Database } from '../src/db/database.ts';
import type { Logger } from '../src/logger.ts';
import type { ConnectorRegistry } from '../connectors/connector-registry.ts';
import type { PipelineQueues } from './queues.ts';
import type { TargetRateLimiter } from './target-rate-limiter.ts';
import type { ActiveClassifier } from './active-classifier.ts';
import type { ReadMessages } from '../src/classifier/read-message.ts';
import type { RetrainInput, RetrainResult } from '../src/classifier/retrain.ts';
import type { PrefixOwner } from './prefix-owner.ts';
import type { HeadroomGate } from '../src/concurrency/headroom-gate.ts';
import type { InsightsSettings } from '../src/insights/insights-settings.ts';

/** Pipeline settings (from Config), with their defaults documented in the README. */
export interface PipelineSettings {
  /** Default timezone for cards and digests. */
  timezone: string;
  /** Where suggestions go when the customer has no linked channel. Default "console:team". */
  defaultTarget: string;
  /** Per mailbox address, where suggestions for customers first met in that mailbox go instead of `defaultTarget`. */
  mailboxChannels?: Record<string, string>;
  /** How long after its due time an open follow-up is escalated (once). Default 24 h. */
  escalateAfterMs: number;
  /** Local time of the daily digest, "HH:MM". Default "09:00". */
  digestTime: string;
  /** Cron pattern of the nightly retrain. Default "0 3 * * *". */
  retrainCron: string;
  /** Days finished deliveries, audit entries (not erasures), finished jobs and resolved quarantined mail are kept (RAPPORT_RETENTION_DAYS); 0 or unset keeps them. */
  retentionDays?: number;
  /** How long a worker's lease on a delivery lasts (the job lock, RAPPORT_JOB_LOCK_MS). Default 30 s. */
  deliveryLeaseMs?: number;
  /**
   * Insights settings and when the weekly insights post goes out (`weekday` 0 = Sunday, `time` "HH:MM"
   * in each channel's timezone); no `weeklyPost`: no weekly post (RAPPORT_INSIGHTS_POST=off). Unset: none.
   */
  insights?: InsightsSettings & { weeklyPost?: { weekday: number; time: string } };
}

/** What every job handler may use. Built once per worker process. */
export interface PipelineDeps {
  db: Database;
  redis: Redis;
  queues: PipelineQueues;
  registry: ConnectorRegistry;
  limiter: TargetRateLimiter;
  classifier: ActiveClassifier;
  settings: PipelineSettings;
  logger: Logger;
  /** Reads texts for classification off this thread (RAPPORT_CLASSIFY_THREAD); absent = on this thread with `classifier`. */
  readMessages?: ReadMessages;
  /** Trains a model off this thread (RAPPORT_CLASSIFY_THREAD); absent = on this thread. */
  retrain?: (input: RetrainInput) => Promise<RetrainResult>;
  /** Holds a job back while the main thread has no headroom (RAPPORT_JOBS_HEADROOM); absent = jobs start at once. */
  headroom?: HeadroomGate;
  /** This deployment's claim on the Redis prefix: the reconciler removes jobs only while it holds it. */
  owner?: PrefixOwner;
}
