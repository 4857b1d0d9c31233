import { afterEach, describe, expect, it } from 'vitest';
import { HeadroomGate } from '../../../src/concurrency/headroom-gate.ts';

/** Keeps this thread's event loop busy for `ms` (one callback that does not return). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean): Promise<void> {
  while (!check()) await pause(2);
}

describe('HeadroomGate', () => {
  const gates: HeadroomGate[] = [];
  const gate = (opts: ConstructorParameters<typeof HeadroomGate>[0]) => {
    const g = new HeadroomGate(opts);
    gates.push(g);
    return g;
  };
  afterEach(() => {
    for (const g of gates.splice(0)) g.stop();
  });

  it('lets work through at once before it measures and after it stops, and refuses a limit outside (0, 1]', async () => {
    const g = gate({ maxUtilization: 0.5 });
    spin(50);
    await g.wait();
    g.start();
    g.stop();
    spin(50);
    await g.wait();
    expect(g.held.count).toBe(0);
    expect(() => new HeadroomGate({ maxUtilization: 0 })).toThrow(RangeError);
    expect(() => new HeadroomGate({ maxUtilization: 1.5 })).toThrow(RangeError);
  });

  it('holds work back after a busy window and lets it go in arrival order once the thread is idle', async () => {
    const g = gate({ maxUtilization: 0.5, windowMs: 200 });
    g.start();
    spin(300);
    await until(() => g.lastUtilization > 0.5);
    const order: number[] = [];
    const first = g.wait().then(() => order.push(1));
    const second = g.wait().then(() => order.push(2));
    await Promise.resolve();
    expect(order).toEqual([]);
    await Promise.all([first, second]);
    expect(order).toEqual([1, 2]);
    expect(g.held.count).toBe(2);
    expect(g.lastUtilization).toBeLessThanOrEqual(0.5);
  });

  it('never holds work longer than maxWaitMs, even while the thread stays busy', async () => {
    const g = gate({ maxUtilization: 0.5, windowMs: 20, maxWaitMs: 60 });
    g.start();
    spin(100);
    await until(() => g.lastUtilization > 0.5);
    let released = false;
    const waiting = g.wait().then(() => {
      released = true;
    });
    // Busy in slices (timers still fire in between) for far longer than maxWaitMs.
    let busySlices = 0;
    while (!released && busySlices < 200) {
      spin(15);
      busySlices++;
      await new Promise((r) => setImmediate(r));
    }
    await waiting;
    expect(released).toBe(true);
    expect(busySlices).toBeLessThan(200);
    expect(g.held.count).toBe(1);
  });

  it('holds work while `hold` says so though the thread is idle, and lets it go once it stops saying so', async () => {
    let burst = true;
    const g = gate({ maxUtilization: 1, windowMs: 10, maxWaitMs: 10_000, hold: () => burst });
    g.start();
    let released = false;
    const waiting = g.wait().then(() => {
      released = true;
    });
    await pause(80);
    expect(released).toBe(false);
    burst = false;
    await waiting;
    expect(g.held.count).toBe(1);
    // No burst, idle thread: straight through.
    await g.wait();
    expect(g.held.count).toBe(1);
  });

  it('bounds a hold by maxWaitMs too', async () => {
    const g = gate({ maxUtilization: 1, windowMs: 10, maxWaitMs: 50, hold: () => true });
    g.start();
    const started = performance.now();
    await g.wait();
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(g.held.count).toBe(1);
  });
});
