import type { Job } from 'bullmq';
import { CallBatcher } from '../src/concurrency/call-batcher.ts';
import {
  classifyMessages,
  type ClassifyMessagesDeps,
  type ClassifyOutcome,
} from '../src/services/classify-messages.service.ts';
import type { ClassifyCommunicationData, ClassifyJobData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { classifyServiceDeps } from './classify-communication.job.ts';
import { classifyJob } from './classify-job.ts';
import { QueueName } from './queue-names.ts';
import { requeueJobs } from './requeue-jobs.ts';

type ClassifyJob = Job<ClassifyJobData>;

/** What a batch job answers (kept in Redis with the completed job): its messages' outcomes, counted. */
export interface ClassifyBatchResult {
  outcomes: Partial<Record<ClassifyOutcome['status'], number>>;
  /** Messages that failed here and were queued again as single jobs. */
  requeued: number;
}

/**
 * Classifies the messages of concurrently running classify jobs together: one call of the classify
 * service (one read and one write statement, one Redis round trip for the suggestion posts) for the
 * whole batch instead of one per message. Each job still succeeds or fails on its own (BullMQ acks and
 * retries it alone): a batch that fails is redone one job at a time, so one bad message cannot fail its
 * neighbours. A batch job (a commit's messages, ClassifyBatchData) puts each of its messages in
 * these batches as a single job would, and hands the ones that fail on as single jobs. The service
 * is idempotent, so a rerun of any job after a crash finishes what is missing and duplicates nothing.
 */
export class ClassifyBatcher {
  private readonly batcher: CallBatcher<ClassifyCommunicationData, ClassifyOutcome>;
  private readonly service: ClassifyMessagesDeps;

  /**
   * @param maxBatch most messages classified together (RAPPORT_CLASSIFY_BATCH_SIZE, default 32)
   * @param maxInFlight batches at once: one can wait for the database while the next is classified (default 2)
   */
  constructor(
    private readonly deps: PipelineDeps,
    { maxBatch = 32, maxInFlight = 2 }: { maxBatch?: number; maxInFlight?: number } = {},
  ) {
    this.service = classifyServiceDeps(deps);
    this.batcher = new CallBatcher((jobs) => this.run(jobs), { maxBatch, maxInFlight });
  }

  /** A single job's outcome, or a batch job's counts (its messages batched with the other jobs' as they arrive). */
  classify(job: Job<ClassifyCommunicationData>): Promise<ClassifyOutcome>;
  classify(job: ClassifyJob): Promise<ClassifyOutcome | ClassifyBatchResult>;
  classify(job: ClassifyJob): Promise<ClassifyOutcome | ClassifyBatchResult> {
    const data = job.data;
    if ('messages' in data) return this.classifyMany(data.messages);
    return this.batcher.call({ recordId: data.recordId, messageId: data.messageId });
  }

  /**
   * A batch job's messages. One that fails is queued again as its own single job (as if it had been
   * queued alone: it retries with backoff and ends in the failed set on its own), so the batch job
   * succeeds once every message is classified or handed on; only when that hand-on fails does the
   * batch job fail and retry (reruns are idempotent).
   */
  private async classifyMany(messages: readonly ClassifyCommunicationData[]): Promise<ClassifyBatchResult> {
    const settled = await Promise.allSettled(
      messages.map(({ recordId, messageId }) => this.batcher.call({ recordId, messageId })),
    );
    const outcomes: ClassifyBatchResult['outcomes'] = {};
    const failed: ClassifyCommunicationData[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') outcomes[s.value.status] = (outcomes[s.value.status] ?? 0) + 1;
      else failed.push(messages[i]);
    });
    if (failed.length > 0) {
      const reason = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason;
      this.deps.logger.warn(
        { messages: failed.length, firstMessageId: failed[0].messageId, err: (reason as Error)?.message },
        'messages of a classify batch job failed; queued as single jobs',
      );
      // requeueJobs: a kept finished job of the same id (the reconciler's) would make a plain add a no-op.
      await requeueJobs(this.deps.queues[QueueName.ClassifyCommunication], failed.map(classifyJob));
    }
    return { outcomes, requeued: failed.length };
  }

  private async run(refs: readonly ClassifyCommunicationData[]): Promise<Array<Promise<ClassifyOutcome>>> {
    try {
      return (await classifyMessages(refs, this.service)).map((outcome) => Promise.resolve(outcome));
    } catch (err) {
      if (refs.length === 1) return [Promise.reject(err)];
      this.deps.logger.warn(
        { jobs: refs.length, err: (err as Error).message },
        'classify batch failed; classifying its jobs one by one',
      );
      return refs.map((ref) => classifyMessages([ref], this.service).then(([outcome]) => outcome));
    }
  }
}
