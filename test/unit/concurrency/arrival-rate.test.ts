import { describe, expect, it } from 'vitest';
import { ArrivalRate } from '../../../src/concurrency/arrival-rate.ts';

describe('ArrivalRate', () => {
  it('counts arrivals per second over its window and forgets those older than it', () => {
    let now = 10_000;
    const rate = new ArrivalRate(250, () => now);
    expect(rate.perSecond()).toBe(0);
    // 50 arrivals over 100 ms: 200 per second over a 250 ms window.
    for (let i = 0; i < 50; i++) {
      rate.add();
      now += 2;
    }
    expect(rate.perSecond()).toBe(200);
    // A window later, nothing counts any more.
    now += 260;
    expect(rate.perSecond()).toBe(0);
    // A bucket slot reused a window later starts from zero, not from what it held.
    rate.add();
    expect(rate.perSecond()).toBe(4);
  });

  it('refuses a window that is not positive', () => {
    expect(() => new ArrivalRate(0)).toThrow(RangeError);
  });
});
