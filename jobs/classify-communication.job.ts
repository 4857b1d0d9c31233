import type { SuggestedFollowUpRow } from '../src/db/classification.repository.ts';
import type { ClassifyMessagesDeps } from '../src/services/classify-messages.service.ts';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

/**
 * What the classify use case (src/services/classify-messages.service.ts) needs from a worker: the
 * database, the active model, the pipeline settings, and the deliver queue for the suggestions it
 * writes. The classify queue's jobs only carry `{ recordId, messageId }` and are batched by
 * ClassifyBatcher; all the rules live in the service.
 */
export function classifyServiceDeps(deps: PipelineDeps): ClassifyMessagesDeps {
  return {
    db: deps.db,
    classifier: () => deps.classifier.get(),
    ...(deps.readMessages ? { readMessages: deps.readMessages } : {}),
    // One BusinessHours from config for response times and due dates alike.
    settings: { ...deps.settings, businessHours: deps.settings.insights?.businessHours },
    postSuggestions: (followUps) => queueSuggestions(deps, followUps),
  };
}

/** Queues the posts of new suggestions, in one Redis round trip; a duplicate job id is a no-op. */
export async function queueSuggestions(deps: PipelineDeps, followUps: readonly SuggestedFollowUpRow[]): Promise<void> {
  const jobs = followUps
    .filter((f) => f.status === 'suggested' && f.remindTarget)
    .map((f) => {
      const data: DeliverMessageData = {
        key: jobId('suggestion', f.id),
        kind: 'suggestion',
        target: f.remindTarget!,
        followUpId: f.id,
      };
      return { name: 'suggestion', data, opts: { jobId: data.key } };
    });
  if (jobs.length === 1) await deps.queues[QueueName.DeliverMessage].add(jobs[0].name, jobs[0].data, jobs[0].opts);
  else if (jobs.length > 1) await deps.queues[QueueName.DeliverMessage].addBulk(jobs);
}
