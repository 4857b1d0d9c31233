import type { Redis } from 'ioredis';
import type { Database } from '../src/db/database.ts';
import type { LoggedMessage, PipelineHooks } from '../src/services/pipeline-hooks.ts';
import { CallBatcher } from '../src/concurrency/call-batcher.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineQueues } from './queues.ts';
import type { ClassifyBatchData, ClassifyCommunicationData } from './job-data.ts';
import { jobId } from './job-ids.ts';
import { classifyJob } from './classify-job.ts';
import { syncReminder } from './reminder-schedule.ts';
import { queueHeldAuthor } from './held-author-schedule.ts';
import {
  cardRefreshOf,
  cardRetractions,
  queueCardChanges,
  recordCardRefreshesIn,
  recordCardRetractionsIn,
} from './card-changes.ts';

/** Most classify jobs one addBulk of concurrent recordLogged calls carries. */
const MAX_CLASSIFY_JOBS_PER_ADD = 200;
/** Most messages one batch job of a commit carries (an IMAP sync's batch is 100). */
export const MAX_MESSAGES_PER_CLASSIFY_JOB = 200;

/**
 * One job per commit of many messages: a job costs Redis a script run and this process a Job object,
 * the same whether it names one message or a hundred (an IMAP sync spent about a tenth of its CPU per
 * message queuing one job each). Its id is made of the first and last message ids: a commit told twice
 * is one job.
 */
function classifyBatchJobs(logged: readonly LoggedMessage[]) {
  const jobs = [];
  for (let i = 0; i < logged.length; i += MAX_MESSAGES_PER_CLASSIFY_JOB) {
    const messages = logged
      .slice(i, i + MAX_MESSAGES_PER_CLASSIFY_JOB)
      .map(({ recordId, messageId }) => ({ recordId, messageId }));
    const data: ClassifyBatchData = { messages };
    const id = jobId('classify-batch', messages[0].messageId, messages[messages.length - 1].messageId);
    jobs.push({ name: 'classify-batch', data, opts: { jobId: id } });
  }
  return jobs;
}

/**
 * The pipeline side of the command layer's hooks: a logged message is queued for classification;
 * a changed follow-up gets its reminder rescheduled and its last posted card refreshed in place.
 */
export function bullmqPipelineHooks(db: Database, redis: Redis, queues: PipelineQueues): PipelineHooks {
  const addClassifyJobs = async (logged: readonly LoggedMessage[]) => {
    const queue = queues[QueueName.ClassifyCommunication];
    const jobs = logged.map(classifyJob);
    // One round trip for many; the same job ids as one by one, so a message added twice is one job.
    if (jobs.length === 1) await queue.add(jobs[0].name, jobs[0].data, jobs[0].opts);
    else await queue.addBulk(jobs);
  };
  // Commands logged at the same moment (a burst of /crm log) queue their classifications as one
  // addBulk: one Redis round trip instead of one each. Each caller still waits for its own job to be
  // queued, and a failed addBulk fails every caller of it (each is told its classification is delayed).
  const classifyBatcher = new CallBatcher<LoggedMessage, void>(
    async (logged) => {
      await addClassifyJobs(logged);
      return logged.map(() => undefined);
    },
    { maxBatch: MAX_CLASSIFY_JOBS_PER_ADD, maxInFlight: 2 },
  );
  return {
    recordLogged(recordId, messageId) {
      return classifyBatcher.call({ recordId, messageId });
    },
    async recordsLogged(logged) {
      if (logged.length === 0) return;
      if (logged.length === 1) return addClassifyJobs(logged);
      await queues[QueueName.ClassifyCommunication].addBulk(classifyBatchJobs(logged));
    },
    async messageEdited(recordId, messageId, editedAt) {
      // A job id of its own per edit: the first classification's job may still be kept as completed.
      const data: ClassifyCommunicationData = { recordId, messageId };
      await queues[QueueName.ClassifyCommunication].add('classify', data, {
        jobId: jobId('classify', messageId, editedAt.getTime()),
      });
    },
    async followUpChanged(followUpId, change) {
      const refresh = await cardRefreshOf(db.prisma, followUpId, change);
      if (refresh) await queueCardChanges({ db, queues }, [refresh]);
      await syncReminder(db, redis, queues, followUpId);
    },
    async authorHeld(key) {
      await queueHeldAuthor(queues, key);
    },
    async cardsRetracted(cards, reason) {
      await queueCardChanges({ db, queues }, cardRetractions(cards, reason));
    },
    recordCardRetractions: recordCardRetractionsIn,
    recordCardRefreshes: recordCardRefreshesIn,
  };
}
