import { afterEach, describe, expect, it } from 'vitest';
import { jobId } from '../../../jobs/job-ids.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { createLogger } from '../../../src/logger.ts';
import { resilientPipelineHooks, trackPipelineDelays } from '../../../src/services/resilient-pipeline-hooks.ts';
import { startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

/**
 * Issue 15, "Acks that never wait": commands logged at the same moment queue their classifications in
 * one BullMQ call (addBulk) instead of one Redis round trip each; every logged message still gets
 * exactly one classify job under its own id, and each caller learns whether its own job was queued.
 */
describe('classify jobs of concurrent logs (real BullMQ)', () => {
  let h: PipelineHarness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  it('queues the classify jobs of a burst in one addBulk, one job per message, none twice; a lone log alone', async () => {
    h = await startPipelineHarness('postgres', { workers: false });
    const hooks = resilientPipelineHooks(h.hooks, createLogger('silent'));
    const queue = h.queues[QueueName.ClassifyCommunication];
    const calls: Array<{ kind: 'add' | 'addBulk'; jobs: number }> = [];
    const add = queue.add.bind(queue);
    const addBulk = queue.addBulk.bind(queue);
    queue.add = (...args: Parameters<typeof add>) => {
      calls.push({ kind: 'add', jobs: 1 });
      return add(...args);
    };
    queue.addBulk = (...args: Parameters<typeof addBulk>) => {
      calls.push({ kind: 'addBulk', jobs: args[0].length });
      return addBulk(...args);
    };

    const messages = ['m1', 'm2', 'm3', 'm2', 'm4'];
    const delays = await Promise.all(
      messages.map((m) => trackPipelineDelays(() => hooks.recordLogged(`r-${m}`, m)).then((r) => r.delayed)),
    );
    expect(delays).toEqual([false, false, false, false, false]);
    expect(calls).toEqual([{ kind: 'addBulk', jobs: 5 }]);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.map((j) => j.id).sort()).toEqual(['m1', 'm2', 'm3', 'm4'].map((m) => jobId('classify', m)).sort());
    expect(jobs.find((j) => j.id === jobId('classify', 'm3'))?.data).toEqual({ recordId: 'r-m3', messageId: 'm3' });

    await hooks.recordLogged('r-m5', 'm5');
    expect(calls.at(-1)).toEqual({ kind: 'add', jobs: 1 });
    expect(await queue.count()).toBe(5);
  });
});
