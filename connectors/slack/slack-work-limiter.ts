import type { HeadroomGate } from '../../src/concurrency/headroom-gate.ts';

/**
 * At most `concurrency` acknowledged Slack requests are worked on at once; the rest wait in arrival
 * order. Why: the work after an ack (database writes, classification enqueueing, response_url posts)
 * can outrun the machine in a burst, and on the embedded database every query runs on the bot's own
 * thread. Unbounded, hundreds of requests' queries chain back to back and the HTTP server cannot even
 * acknowledge new requests within Slack's 3 seconds; bounded, a burst waits in this queue while acks
 * stay fast and the backlog drains afterwards.
 *
 * With a `headroom` gate, a piece of work also starts only while the thread has headroom (its recent
 * event-loop utilization under the gate's bound): acks have a 3 s deadline and no retry, the answer
 * after them has Slack's 30 minutes, so under a burst the acks keep the thread and the work catches up.
 */
export class SlackWorkLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly detached = new Set<Promise<void>>();

  constructor(
    readonly concurrency: number,
    private readonly headroom?: HeadroomGate,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be a positive integer (got ${concurrency})`);
  }

  /** Requests acknowledged but not started yet. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Pieces of work started with {@link detach} and not finished (waiting or running). */
  get detachedCount(): number {
    return this.detached.size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      await this.headroom?.wait();
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next request
      else this.running--;
    }
  }

  /**
   * Runs `work` in its turn without anyone awaiting it: the request that asked for it is let go (its
   * HTTP request, Bolt's context and body are not kept alive while it waits, a few hundred bytes are).
   * `work` handles its own failures; one that still throws goes to `onError`.
   */
  detach(work: () => Promise<void>, onError: (err: unknown) => void): void {
    const done: Promise<void> = this.run(work)
      .catch(onError)
      .finally(() => this.detached.delete(done));
    this.detached.add(done);
  }

  /** Resolves once every detached piece of work has finished (those queued meanwhile too). */
  async drained(): Promise<void> {
    while (this.detached.size > 0) await Promise.allSettled([...this.detached]);
  }
}
