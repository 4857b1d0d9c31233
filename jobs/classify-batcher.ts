import type { Job } from 'bullmq';
import { CallBatcher } from '../src/concurrency/call-batcher.ts';
import {
  insertClassifications,
  readMessagesToClassify,
  type NewClassification,
} from '../src/db/classification.repository.ts';
import type { ClassifyCommunicationData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import {
  classifyCommunication,
  finishClassified,
  planClassification,
  queueSuggestions,
  skipReason,
  type ClassifyOutcome,
} from './classify-communication.job.ts';

type ClassifyJob = Job<ClassifyCommunicationData>;

/**
 * Classifies the messages of concurrently running classify jobs together: one read and one write
 * statement for the whole batch instead of two per message, and one Redis round trip for their
 * suggestion posts. Each job still succeeds or fails on its own (BullMQ acks and retries it alone):
 * a batch whose read, write or queueing fails is redone one job at a time, so one bad message cannot
 * fail its neighbours. The statements are the single path's own (ON CONFLICT on the same unique
 * keys), so a rerun of any job after a crash finishes what is missing and duplicates nothing. Two
 * messages of one record in one batch get one suggestion: the database allows one pending per record.
 */
export class ClassifyBatcher {
  private readonly batcher: CallBatcher<ClassifyJob, ClassifyOutcome>;

  /**
   * @param maxBatch most messages classified together (RAPPORT_CLASSIFY_BATCH_SIZE, default 32)
   * @param maxInFlight batches at once: one can wait for the database while the next is classified (default 2)
   */
  constructor(
    private readonly deps: PipelineDeps,
    { maxBatch = 32, maxInFlight = 2 }: { maxBatch?: number; maxInFlight?: number } = {},
  ) {
    this.batcher = new CallBatcher((jobs) => this.run(jobs), { maxBatch, maxInFlight });
  }

  classify(job: ClassifyJob): Promise<ClassifyOutcome> {
    return this.batcher.call(job);
  }

  private async run(jobs: readonly ClassifyJob[]): Promise<Array<Promise<ClassifyOutcome>>> {
    let endings: Array<() => Promise<ClassifyOutcome>>;
    try {
      endings = await this.classifyTogether(jobs);
    } catch (err) {
      this.deps.logger.warn(
        { jobs: jobs.length, err: (err as Error).message },
        'classify batch failed; classifying its jobs one by one',
      );
      endings = jobs.map((job) => () => classifyCommunication(job, this.deps));
    }
    // Started only now, after the whole batch is written: nothing runs on behalf of a failed batch.
    return endings.map((end) => end());
  }

  /** How each job ends, in order; throws when the batch's read, write or queueing fails. */
  private async classifyTogether(jobs: readonly ClassifyJob[]): Promise<Array<() => Promise<ClassifyOutcome>>> {
    const { deps } = this;
    const messages = await readMessagesToClassify(
      deps.db.sql,
      jobs.map((job) => job.data.messageId),
    );
    const endings: Array<() => Promise<ClassifyOutcome>> = [];
    const planned: Array<{ index: number; item: NewClassification; label: string }> = [];
    const now = new Date();
    const classifier = await deps.classifier.get();
    for (const [index, job] of jobs.entries()) {
      const message = messages.get(job.data.messageId);
      const skip = skipReason(message, job.data.recordId);
      if (skip) endings[index] = async () => ({ status: skip });
      else if (message!.classification)
        endings[index] = () => finishClassified(message!, deps); // a rerun: rare, on its own
      else {
        // Classifying is CPU work on the process's only thread: let waiting HTTP requests (Slack
        // needs its ack within 3 s) through between messages rather than after the whole batch.
        if (planned.length > 0) await new Promise((resolve) => setImmediate(resolve));
        planned.push({ index, ...planClassification(message!, classifier, deps, now) });
      }
    }
    if (planned.length === 0) return endings;

    const written = await insertClassifications(
      deps.db.sql,
      planned.map((p) => p.item),
      now,
    );
    await queueSuggestions(
      deps,
      [...written.values()].flatMap((w) => (w.followUp ? [w.followUp] : [])),
    );
    for (const { index, item, label } of planned) {
      const mine = written.get(item.classification.messageId);
      endings[index] = mine
        ? async () => ({ status: 'classified', label, suggestedFollowUpId: mine.followUp?.id })
        : () => classifyCommunication(jobs[index], deps); // a concurrent run classified it first: finish as a rerun
    }
    return endings;
  }
}
