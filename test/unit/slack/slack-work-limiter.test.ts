import { describe, expect, it } from 'vitest';
import { SlackWorkLimiter } from '../../../connectors/slack/slack-work-limiter.ts';
import { HeadroomGate } from '../../../src/concurrency/headroom-gate.ts';

describe('SlackWorkLimiter', () => {
  it('runs at most `concurrency` tasks at once, starts the rest in arrival order, and survives failures', async () => {
    const limiter = new SlackWorkLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const task = (i: number, fail = false) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        if (fail) throw new Error(`task ${i} failed`);
        return i;
      });
    const results = [task(0, true), task(1), task(2), task(3), task(4)].map((p) =>
      p.then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(limiter.queued).toBe(3);
    while (releases.length > 0 || started.length < 5) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(results)).toEqual(['task 0 failed', 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(limiter.queued).toBe(0);
  });

  it('detach: runs work in its turn with nobody awaiting it; drained waits for all of it, work detached meanwhile too; failures go to onError', async () => {
    const limiter = new SlackWorkLimiter(1);
    const done: number[] = [];
    const errors: string[] = [];
    const onError = (err: unknown) => errors.push((err as Error).message);
    const step = (i: number) => async () => {
      await new Promise((r) => setTimeout(r, 5));
      done.push(i);
      // Work that queues more work while the shutdown waits: drained() waits for that too.
      if (i === 1) limiter.detach(step(3), onError);
      if (i === 2) throw new Error('answer failed');
    };
    limiter.detach(step(0), onError);
    limiter.detach(step(1), onError);
    limiter.detach(step(2), onError);
    expect(limiter.detachedCount).toBe(3);
    await limiter.drained();
    expect(done).toEqual([0, 1, 2, 3]);
    expect(errors).toEqual(['answer failed']);
    expect(limiter.detachedCount).toBe(0);
  });

  it('with a headroom gate, work waits while the thread is busy and starts once it has headroom', async () => {
    const gate = new HeadroomGate({ maxUtilization: 0.5, windowMs: 20, maxWaitMs: 10_000 });
    const limiter = new SlackWorkLimiter(4, gate);
    gate.start();
    try {
      // A busy thread (acks, in production): several windows well above 0.5.
      const busyUntil = performance.now() + 120;
      const spinSlices = async () => {
        while (performance.now() < busyUntil) {
          const sliceEnd = performance.now() + 15;
          while (performance.now() < sliceEnd) {
            // busy
          }
          await new Promise((r) => setImmediate(r));
        }
      };
      const spinning = spinSlices();
      await new Promise((r) => setTimeout(r, 40));
      let startedAt = 0;
      const work = limiter.run(async () => {
        startedAt = performance.now();
      });
      await spinning;
      const busyEnded = performance.now();
      await work;
      // Held back for as long as the thread stayed busy, let go within a few windows of it going quiet.
      expect(startedAt).toBeGreaterThanOrEqual(busyUntil - 20);
      expect(startedAt - busyEnded).toBeLessThan(2_000);
      expect(gate.held.count).toBe(1);
    } finally {
      gate.stop();
    }
  });

  it('refuses a concurrency below one', () => {
    expect(() => new SlackWorkLimiter(0)).toThrow(/positive integer/);
  });
});
