import { describe, expect, it } from 'vitest';
import { burstHold, InteractiveArrivals } from '../../../src/concurrency/interactive-arrivals.ts';

describe('burstHold', () => {
  it('is off without a rate', () => {
    expect(burstHold(undefined)).toBeUndefined();
  });

  it('holds once the last quarter second passes the rate, and through a short gap, until the last second has seen under half of it', () => {
    let now = 50_000;
    const arrivals = new InteractiveArrivals(() => now);
    const hold = burstHold(40, arrivals)!;
    expect(hold()).toBe(false);
    // 20 requests now: 80 a second over the last quarter second.
    for (let i = 0; i < 20; i++) arrivals.add();
    expect(hold()).toBe(true);
    // A 300 ms gap empties the quarter second, not the second: still a burst.
    now += 300;
    expect(arrivals.recent.perSecond()).toBe(0);
    expect(hold()).toBe(true);
    // Once the last second holds fewer than 20 requests, the burst is over.
    now += 800;
    expect(hold()).toBe(false);
    // And a quarter second at the rate does not start a new one.
    for (let i = 0; i < 10; i++) arrivals.add();
    expect(hold()).toBe(false);
    // Past it, it does.
    arrivals.add();
    expect(hold()).toBe(true);
  });
});
