import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The niceness background threads take: the main thread (HTTP acks) wins a busy CPU. */
export const BACKGROUND_THREAD_NICENESS = 10;

/**
 * Lowers the CPU priority of the calling thread only (Linux: setpriority on the thread's own id, read
 * from /proc/thread-self), so that on a machine with more runnable threads than cores the scheduler
 * runs the main thread's acks first and this thread's work in what is left. Lowering one's own
 * priority needs no privilege. Elsewhere (no /proc) it does nothing.
 * @returns the thread id whose priority was lowered, or undefined when it could not be.
 */
export function lowerThreadPriority(niceness = BACKGROUND_THREAD_NICENESS): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, niceness);
    return tid;
  } catch {
    return undefined;
  }
}
