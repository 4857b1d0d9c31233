import type { Job } from 'bullmq';
import { retrainClassifier, type RetrainOutcome } from '../src/services/retrain-classifier.service.ts';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData, RetrainModelData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

/**
 * Retrains the classifier (see retrainClassifier: time-split held-out, paired-bootstrap gate,
 * leave-one-out influence) and posts the notice to the team channel. The nightly run skips when no
 * correction changed since the last attempt, so a refused model is not retried every tick.
 */
export async function retrainModelJob(job: Job<RetrainModelData>, deps: PipelineDeps): Promise<RetrainOutcome> {
  // The version names the job, so a retried job saves (and posts) the same model, not a second one.
  const version = `crm-${new Date(job.timestamp).toISOString().replace(/[:.]/g, '-')}`;
  const outcome = await retrainClassifier(
    deps.db,
    deps.classifier.store,
    { requestedBy: job.data.requestedBy, version },
    deps.retrain,
  );
  if (outcome.ignored?.count)
    deps.logger.warn(
      { ignoredCorrections: outcome.ignored.count, labels: outcome.ignored.labels, version },
      'retrain ignored corrections whose label the model does not know',
    );
  if (!outcome.auditId) return outcome;
  const notice: DeliverMessageData = {
    key: jobId('notice', 'retrain', version),
    kind: 'notice',
    target: deps.settings.defaultTarget,
    auditId: outcome.auditId,
  };
  await deps.queues[QueueName.DeliverMessage].add('notice', notice, { jobId: notice.key });
  return { status: outcome.status, version: outcome.version, text: outcome.text };
}
