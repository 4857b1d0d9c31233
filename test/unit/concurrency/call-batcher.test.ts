import { describe, expect, it } from 'vitest';
import { CallBatcher } from '../../../src/concurrency/call-batcher.ts';

/** A runner that records each batch it was given and answers after `release()` (or at once). */
function recordingRunner<I>(answer: (input: I) => unknown = (i) => i, opts: { hold?: boolean } = {}) {
  const batches: I[][] = [];
  const waiting: Array<() => void> = [];
  const run = async (inputs: readonly I[]) => {
    batches.push([...inputs]);
    if (opts.hold) await new Promise<void>((resolve) => waiting.push(resolve));
    return inputs.map(answer);
  };
  return {
    batches,
    run,
    release: () => {
      for (const r of waiting.splice(0)) r();
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('CallBatcher', () => {
  it('runs the calls of one burst as one batch and answers each caller with its own result', async () => {
    const runner = recordingRunner((n: number) => n * 10);
    const batcher = new CallBatcher(runner.run, { maxBatch: 10, maxInFlight: 1 });
    expect(await Promise.all([1, 2, 3].map((n) => batcher.call(n)))).toEqual([10, 20, 30]);
    expect(runner.batches).toEqual([[1, 2, 3]]);
  });

  it('runs a lone call without waiting for company', async () => {
    const runner = recordingRunner((n: number) => n);
    const batcher = new CallBatcher(runner.run, { maxBatch: 10, maxInFlight: 1 });
    expect(await batcher.call(7)).toBe(7);
    expect(await batcher.call(8)).toBe(8);
    expect(runner.batches).toEqual([[7], [8]]);
  });

  it('splits a burst at maxBatch, in arrival order', async () => {
    const runner = recordingRunner((n: number) => n);
    const batcher = new CallBatcher(runner.run, { maxBatch: 2, maxInFlight: 5 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.call(n)));
    expect(runner.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('holds calls made while maxInFlight batches run, then sends them together', async () => {
    const runner = recordingRunner((n: number) => n, { hold: true });
    const batcher = new CallBatcher(runner.run, { maxBatch: 10, maxInFlight: 1 });
    const first = batcher.call(1);
    await turn();
    const later = [2, 3, 4].map((n) => batcher.call(n));
    await turn();
    await turn();
    expect(runner.batches).toEqual([[1]]);
    expect(batcher.queued).toBe(3);
    runner.release();
    expect(await first).toBe(1);
    await turn();
    await turn();
    runner.release();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
    expect(runner.batches).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps a call that may not join a batch for the next one', async () => {
    const runner = recordingRunner((s: string) => s);
    const batcher = new CallBatcher(runner.run, {
      maxBatch: 10,
      maxInFlight: 1,
      canJoin: (batch, s) => !batch.includes(s),
    });
    await Promise.all(['a', 'b', 'a', 'c', 'a'].map((s) => batcher.call(s)));
    expect(runner.batches).toEqual([['a', 'b', 'c'], ['a'], ['a']]);
  });

  it('fails only the callers of a batch whose run throws; the next batch runs', async () => {
    let calls = 0;
    const batcher = new CallBatcher<number, number>(
      async (inputs) => {
        if (calls++ === 0) throw new Error('database went away');
        return inputs;
      },
      { maxBatch: 2, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('database went away');
  });

  it('lets one input fail on its own when the runner answers it with a rejected promise', async () => {
    const batcher = new CallBatcher<number, number>(
      async (inputs) => inputs.map((n) => (n === 2 ? Promise.reject(new Error('bad input 2')) : n)),
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.call(n)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.message))).toEqual([1, 'bad input 2', 3]);
  });

  it('rejects every caller when the runner answers the wrong number of results', async () => {
    const batcher = new CallBatcher<number, number>(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 2].map((n) => batcher.call(n)));
    expect(results.every((r) => r.status === 'rejected' && /answered 1 results/.test(String(r.reason)))).toBe(true);
  });

  it('refuses a batch size or in-flight bound below one', () => {
    expect(() => new CallBatcher(async (x: readonly number[]) => x, { maxBatch: 0, maxInFlight: 1 })).toThrow(
      RangeError,
    );
  });
});
