/** What {@link withinDeadline} returns when `work` did not settle in time. */
export const MISSED_DEADLINE: unique symbol = Symbol('missed deadline');

/**
 * `work`'s result, or {@link MISSED_DEADLINE} once `ms` have passed. The work is not cancelled (a
 * promise cannot be): it goes on, and its late result or error is dropped. The timer never keeps the
 * process alive and is cleared as soon as the race is decided. A rejection of `work` within the
 * deadline is thrown to the caller.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof MISSED_DEADLINE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof MISSED_DEADLINE>((resolve) => {
    timer = setTimeout(() => resolve(MISSED_DEADLINE), ms);
    timer.unref();
  });
  // A rejection that arrives after the deadline must not become an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
