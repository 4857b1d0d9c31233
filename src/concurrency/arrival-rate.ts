/**
 * Arrivals per second over the last `windowMs` (default 1 s), counted in buckets of a tenth of it:
 * cheap enough to call on every request (a counter and a clock read).
 */
export class ArrivalRate {
  private readonly bucketMs: number;
  private readonly counts: number[];
  private readonly stamps: number[];

  constructor(
    private readonly windowMs = 1_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be above 0 (got ${windowMs})`);
    this.bucketMs = windowMs / 10;
    this.counts = new Array(10).fill(0);
    this.stamps = new Array(10).fill(-1);
  }

  /** Counts one arrival now. */
  add(): void {
    const slot = Math.floor(this.now() / this.bucketMs);
    const i = slot % 10;
    if (this.stamps[i] !== slot) {
      this.stamps[i] = slot;
      this.counts[i] = 0;
    }
    this.counts[i]++;
  }

  /** Arrivals per second over the last window (the current, partly filled bucket included). */
  perSecond(): number {
    const slot = Math.floor(this.now() / this.bucketMs);
    let n = 0;
    for (let i = 0; i < 10; i++) if (this.stamps[i] > slot - 10) n += this.counts[i];
    return (n * 1_000) / this.windowMs;
  }
}
