import type { Job } from 'bullmq';
import { loadHeldOutExamples, loadSeedExamples } from '../src/classifier/default-model.ts';
import { retrainModel } from '../src/classifier/retrain.ts';
import { writeAudit } from '../src/services/audit.service.ts';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData, RetrainModelData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

export interface RetrainOutcome {
  status: 'activated' | 'kept-current' | 'no-new-corrections';
  version?: string;
  heldOutMacroF1?: number;
  delta?: number | null;
}

/**
 * Trains on the seed set plus every correction reps made, evaluates by cross-validation and on the
 * held-out set, and activates the new model only if held-out macro-F1 drops by at most 0.5 points.
 * The nightly run skips when nothing was corrected since the active model was built. The result is
 * posted to the team channel.
 */
export async function retrainModelJob(job: Job<RetrainModelData>, deps: PipelineDeps): Promise<RetrainOutcome> {
  const { db } = deps;
  const store = deps.classifier.store;
  const current = await store.getActive();
  const corrections = await db.prisma.labeledExample.findMany({
    where: { source: 'correction' },
    select: { text: true, label: true, createdAt: true },
  });
  const newest = corrections.reduce((max, c) => Math.max(max, c.createdAt.getTime()), 0);
  if (job.data.requestedBy === 'schedule' && current && newest <= Date.parse(current.createdAt))
    return { status: 'no-new-corrections' };

  const started = Date.now();
  const result = retrainModel({
    seedExamples: loadSeedExamples(),
    corrections,
    heldOut: loadHeldOutExamples(),
    currentMetrics: current?.metrics,
  });
  // The version names the job, so a retried job saves (and posts) the same model, not a second one.
  const version = `crm-${new Date(job.timestamp).toISOString().replace(/[:.]/g, '-')}`;
  const artifact = { ...result.artifact, version };
  const existing = await store.list();
  if (!existing.some((m) => m.version === version)) await store.save(artifact, { activate: result.activate });

  const f1 = result.metrics.heldOut.macroF1;
  const deltaPts = result.delta ? result.delta.heldOutMacroF1 * 100 : null;
  const text =
    `Classifier retrained on ${result.artifact.trainingSummary.examples} examples (${corrections.length} corrections) in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
    `held-out macro-F1 ${f1.toFixed(3)}${deltaPts === null ? '' : ` (${deltaPts >= 0 ? '+' : ''}${deltaPts.toFixed(1)} points)`}. ` +
    (result.activate
      ? `Model ${version} is now active.`
      : `Kept ${current?.version ?? 'the current model'}: the new one would drop macro-F1 by more than 0.5 points.`);
  const auditId = await writeAudit(db.prisma, {
    action: 'model.retrain',
    subject: version,
    details: {
      text,
      activated: result.activate,
      macroF1: f1,
      deltaPoints: deltaPts,
      requestedBy: job.data.requestedBy,
    },
  });
  const notice: DeliverMessageData = {
    key: jobId('notice', 'retrain', version),
    kind: 'notice',
    target: deps.settings.defaultTarget,
    auditId,
  };
  await deps.queues[QueueName.DeliverMessage].add('notice', notice, { jobId: notice.key });
  return { status: result.activate ? 'activated' : 'kept-current', version, heldOutMacroF1: f1, delta: deltaPts };
}
