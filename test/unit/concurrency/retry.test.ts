import { describe, expect, it } from 'vitest';
import { withRetries } from '../../../src/concurrency/retry.ts';

describe('withRetries', () => {
  it('tries again after each delay until the work succeeds, and says so before each wait', async () => {
    let tries = 0;
    const told: Array<[number, number]> = [];
    const result = await withRetries(
      async () => {
        if (++tries < 3) throw new Error(`lost connection ${tries}`);
        return 'logged';
      },
      { delaysMs: [1, 2, 3], retryable: () => true, onRetry: (_err, retry, delay) => told.push([retry, delay]) },
    );
    expect(result).toBe('logged');
    expect(tries).toBe(3);
    expect(told).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('throws the last error once the delays run out', async () => {
    let tries = 0;
    const failing = withRetries(
      async () => {
        throw new Error(`lost connection ${++tries}`);
      },
      { delaysMs: [1, 1], retryable: () => true },
    );
    await expect(failing).rejects.toThrow('lost connection 3');
  });

  it('throws an error the policy does not retry at once', async () => {
    let tries = 0;
    const failing = withRetries(
      async () => {
        tries++;
        throw new Error('not a customer');
      },
      { delaysMs: [1, 1], retryable: (err) => !(err as Error).message.includes('customer') },
    );
    await expect(failing).rejects.toThrow('not a customer');
    expect(tries).toBe(1);
  });
});
