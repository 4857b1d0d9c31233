import { describe, expect, it } from 'vitest';
import { SlackWorkLimiter } from '../../../connectors/slack/slack-work-limiter.ts';

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

  it('refuses a concurrency below one', () => {
    expect(() => new SlackWorkLimiter(0)).toThrow(/positive integer/);
  });
});
