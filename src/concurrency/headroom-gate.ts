import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface HeadroomGateOptions {
  /**
   * Event-loop utilization (0..1: the share of the last window the thread spent running callbacks)
   * above which background work waits.
   */
  maxUtilization: number;
  /** How often the utilization is measured, over the window since the last measure. Default 50 ms. */
  windowMs?: number;
  /**
   * Longest a piece of background work waits before it goes anyway (never starved). Default 1 s: under
   * a long burst the jobs still move (a queue's concurrency per second), and a chain of jobs (classify,
   * then post the card) is delayed by seconds at most.
   */
  maxWaitMs?: number;
  /**
   * Holds work back while it says so, whatever the utilization (e.g. while requests arrive in a burst):
   * asked at each measure and each `wait()`. `maxWaitMs` still bounds every wait.
   */
  hold?: () => boolean;
}

interface Waiter {
  resolve: () => void;
  since: number;
}

/**
 * Lets background work (the pipeline's jobs in a `RAPPORT_ROLE=all` process) start only while this
 * thread has headroom, so the requests people wait for (Slack's 3 s acks, command answers) keep the
 * thread first. Why: one event loop runs both, and a job's callbacks (BullMQ's bookkeeping, database
 * rows, card posts) run to completion in between the HTTP callbacks; at a high request rate their sum
 * is what makes an ack wait. The gate measures the thread's event-loop utilization every `windowMs`;
 * while it is above `maxUtilization`, {@link wait} holds new work back (in arrival order), so a burst
 * of commands is answered first and the jobs catch up when it has passed. No work waits longer than
 * `maxWaitMs`. Work already running is never interrupted.
 */
export class HeadroomGate {
  private readonly windowMs: number;
  private readonly maxWaitMs: number;
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private utilization = 0;
  private waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Pieces of work that waited, and how long in all (ms). */
  readonly held = { count: 0, ms: 0 };

  constructor(private readonly opts: HeadroomGateOptions) {
    if (!(opts.maxUtilization > 0 && opts.maxUtilization <= 1))
      throw new RangeError(`maxUtilization must be in (0, 1] (got ${opts.maxUtilization})`);
    this.windowMs = opts.windowMs ?? 50;
    this.maxWaitMs = opts.maxWaitMs ?? 1_000;
  }

  /** The utilization measured over the last window. */
  get lastUtilization(): number {
    return this.utilization;
  }

  /** Starts measuring; `wait()` lets everything through until then. */
  start(): void {
    if (this.timer) return;
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.measure(), this.windowMs);
    this.timer.unref();
  }

  /** Stops measuring and lets every waiting piece of work go. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.release(this.waiting.length);
  }

  /** Resolves at once while there is headroom (and nothing waits before), else once there is, or after `maxWaitMs`. */
  wait(): Promise<void> {
    if (!this.timer || (this.waiting.length === 0 && this.hasHeadroom())) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push({ resolve, since: performance.now() }));
  }

  private measure(): void {
    const now = performance.eventLoopUtilization();
    this.utilization = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    if (this.waiting.length === 0) return;
    if (this.hasHeadroom()) {
      this.release(this.waiting.length);
      return;
    }
    const due = performance.now() - this.maxWaitMs;
    let n = 0;
    while (n < this.waiting.length && this.waiting[n].since <= due) n++;
    this.release(n);
  }

  private hasHeadroom(): boolean {
    return this.utilization <= this.opts.maxUtilization && !this.opts.hold?.();
  }

  private release(n: number): void {
    const now = performance.now();
    for (const w of this.waiting.splice(0, n)) {
      this.held.count++;
      this.held.ms += now - w.since;
      w.resolve();
    }
  }
}

/**
 * A gate for whichever of a utilization bound and a `hold` is set (undefined values are unset), or
 * undefined when neither is: then there is nothing to wait for.
 */
export function optionalHeadroomGate(
  opts: Omit<HeadroomGateOptions, 'maxUtilization' | 'hold'> & {
    maxUtilization: number | undefined;
    hold: (() => boolean) | undefined;
  },
): HeadroomGate | undefined {
  const { maxUtilization, hold, ...rest } = opts;
  if (maxUtilization === undefined && !hold) return undefined;
  return new HeadroomGate({ ...rest, maxUtilization: maxUtilization ?? 1, ...(hold ? { hold } : {}) });
}
