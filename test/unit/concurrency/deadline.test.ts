import { describe, expect, it } from 'vitest';
import { MISSED_DEADLINE, withinDeadline } from '../../../src/concurrency/deadline.ts';

describe('withinDeadline', () => {
  it('returns the result of work that settles in time', async () => {
    expect(await withinDeadline(Promise.resolve(42), 1_000)).toBe(42);
  });

  it('returns MISSED_DEADLINE for work that does not settle in time, and the work goes on', async () => {
    let finished = false;
    const work = new Promise<string>((resolve) =>
      setTimeout(() => {
        finished = true;
        resolve('late');
      }, 60),
    );
    expect(await withinDeadline(work, 10)).toBe(MISSED_DEADLINE);
    expect(finished).toBe(false);
    expect(await work).toBe('late');
    expect(finished).toBe(true);
  });

  it('throws a rejection that arrives in time, and drops one that arrives late without an unhandled rejection', async () => {
    await expect(withinDeadline(Promise.reject(new Error('boom')), 1_000)).rejects.toThrow('boom');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('late boom')), 20));
      expect(await withinDeadline(late, 5)).toBe(MISSED_DEADLINE);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
