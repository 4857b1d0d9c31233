import type { ClassifyCommunicationData } from './job-data.ts';
import { jobId } from './job-ids.ts';

/**
 * The classify job of one message, as every path queues it (a logged message, a batch job's message
 * handed on, the reconciler's re-queue): its id is the message's, so a second add while it waits is a
 * no-op.
 */
export function classifyJob({ recordId, messageId }: ClassifyCommunicationData) {
  const data: ClassifyCommunicationData = { recordId, messageId };
  return { name: 'classify', data, opts: { jobId: jobId('classify', messageId) } };
}
