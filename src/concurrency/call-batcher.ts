/**
 * Runs many callers' work as one batch. `run` gets the inputs in arrival order and answers one
 * result per input, in the same order: a value, or a promise of one (so one input can fail on its
 * own). When `run` itself throws, every caller of that batch gets the error.
 */
export type BatchRunner<I, O> = (inputs: readonly I[]) => Promise<ReadonlyArray<O | Promise<O>>>;

export interface CallBatcherOptions<I> {
  /** Most inputs in one batch. */
  maxBatch: number;
  /** Batches running at once; calls made meanwhile wait for the next one. */
  maxInFlight: number;
  /** Whether `input` may join a batch that already holds `batch`; when not, it waits for a later one. Default: always. */
  canJoin?: (batch: readonly I[], input: I) => boolean;
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for calls: the first call starts a batch on the next turn of the event loop (no
 * added delay when idle: a lone call is a batch of one); calls made while `maxInFlight` batches are
 * running queue up and go together in the next. Under load, batches grow by themselves to what
 * arrived during the previous one, so one round trip serves many callers.
 */
export class CallBatcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: BatchRunner<I, O>,
    private readonly opts: CallBatcherOptions<I>,
  ) {
    if (opts.maxBatch < 1 || opts.maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Calls waiting for a batch (not counting those running). */
  get queued(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.opts.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    // One turn of the event loop: calls made by the same burst of I/O callbacks join this batch.
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.take();
      if (batch.length === 0) return;
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
      this.schedule();
    });
  }

  /** Up to maxBatch waiting calls that may go together, in arrival order; the rest keep waiting. */
  private take(): Waiting<I, O>[] {
    const batch: Waiting<I, O>[] = [];
    const inputs: I[] = [];
    const rest: Waiting<I, O>[] = [];
    for (const w of this.waiting) {
      if (batch.length < this.opts.maxBatch && (!this.opts.canJoin || this.opts.canJoin(inputs, w.input))) {
        batch.push(w);
        inputs.push(w.input);
      } else {
        rest.push(w);
      }
    }
    this.waiting = rest;
    return batch;
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    let outputs: ReadonlyArray<O | Promise<O>>;
    try {
      outputs = await this.run(batch.map((w) => w.input));
      if (outputs.length !== batch.length)
        throw new Error(`batch of ${batch.length} answered ${outputs.length} results`);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    await Promise.all(batch.map((w, i) => Promise.resolve(outputs[i]).then(w.resolve, w.reject)));
  }
}
