/**
 * At most `concurrency` acknowledged Slack requests are worked on at once; the rest wait in arrival
 * order. Why: the work after an ack (database writes, classification enqueueing, response_url posts)
 * can outrun the machine in a burst, and on the embedded database every query runs on the bot's own
 * thread. Unbounded, hundreds of requests' queries chain back to back and the HTTP server cannot even
 * acknowledge new requests within Slack's 3 seconds; bounded, a burst waits in this queue while acks
 * stay fast and the backlog drains afterwards.
 */
export class SlackWorkLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be a positive integer (got ${concurrency})`);
  }

  /** Requests acknowledged but not started yet. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next request
      else this.running--;
    }
  }
}
