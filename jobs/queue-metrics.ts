import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Job } from 'bullmq';
import type { PipelineQueues } from './queues.ts';

/** Job metrics for /metrics: queue depth by state (read at scrape time), latency, duration and failures. */
export class QueueMetrics {
  readonly latency: Histogram<'queue'>;
  readonly duration: Histogram<'queue'>;
  readonly failures: Counter<'queue' | 'final'>;

  constructor(registry: Registry, queues: PipelineQueues) {
    new Gauge({
      name: 'rapport_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        await Promise.all(
          Object.values(queues).map(async (q) => {
            const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
            for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
          }),
        );
      },
    });
    this.latency = new Histogram({
      name: 'rapport_job_latency_seconds',
      help: 'From when a job was due (added + delay) to when a worker started it',
      labelNames: ['queue'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'rapport_job_duration_seconds',
      help: 'Time a worker spent on a job',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'rapport_job_failures_total',
      help: 'Failed job attempts; final="true" when no retry is left',
      labelNames: ['queue', 'final'],
      registers: [registry],
    });
  }

  started(queue: string, job: Job): void {
    if (job.attemptsMade > 0) return; // retries wait out their backoff on purpose
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    this.latency.observe({ queue }, Math.max(0, (Date.now() - dueAt) / 1000));
  }
}
