import type { Job } from 'bullmq';
import { CallBatcher } from '../src/concurrency/call-batcher.ts';
import {
  classifyMessages,
  type ClassifyMessagesDeps,
  type ClassifyOutcome,
} from '../src/services/classify-messages.service.ts';
import type { ClassifyCommunicationData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { classifyServiceDeps } from './classify-communication.job.ts';

type ClassifyJob = Job<ClassifyCommunicationData>;

/**
 * Classifies the messages of concurrently running classify jobs together: one call of the classify
 * service (one read and one write statement, one Redis round trip for the suggestion posts) for the
 * whole batch instead of one per message. Each job still succeeds or fails on its own (BullMQ acks and
 * retries it alone): a batch that fails is redone one job at a time, so one bad message cannot fail its
 * neighbours. The service is idempotent, so a rerun of any job after a crash finishes what is missing
 * and duplicates nothing.
 */
export class ClassifyBatcher {
  private readonly batcher: CallBatcher<ClassifyJob, ClassifyOutcome>;
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

  classify(job: ClassifyJob): Promise<ClassifyOutcome> {
    return this.batcher.call(job);
  }

  private async run(jobs: readonly ClassifyJob[]): Promise<Array<Promise<ClassifyOutcome>>> {
    const refs = jobs.map((job) => ({ recordId: job.data.recordId, messageId: job.data.messageId }));
    try {
      return (await classifyMessages(refs, this.service)).map((outcome) => Promise.resolve(outcome));
    } catch (err) {
      if (jobs.length === 1) return [Promise.reject(err)];
      this.deps.logger.warn(
        { jobs: jobs.length, err: (err as Error).message },
        'classify batch failed; classifying its jobs one by one',
      );
      return refs.map((ref) => classifyMessages([ref], this.service).then(([outcome]) => outcome));
    }
  }
}
