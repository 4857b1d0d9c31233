/** How {@link withRetries} tries again. */
export interface RetryPolicy {
  /** The wait before each retry, ms: as many retries as entries. */
  delaysMs: readonly number[];
  /** Whether an error is worth another try (a lost connection is; a decision of the domain is not). */
  retryable(err: unknown): boolean;
  /** Told before each wait (for a log line). */
  onRetry?(err: unknown, retry: number, delayMs: number): void;
}

/**
 * `work`'s result; when it throws an error the policy calls retryable, it runs again after the next
 * delay, until the delays run out (then the last error is thrown). Only for idempotent work: a try that
 * failed after its write committed runs again.
 */
export async function withRetries<T>(work: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await work();
    } catch (err) {
      const delay = policy.delaysMs[retry];
      if (delay === undefined || !policy.retryable(err)) throw err;
      policy.onRetry?.(err, retry + 1, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
