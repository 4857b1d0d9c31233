import { ArrivalRate } from './arrival-rate.ts';

/**
 * Requests people wait on (Slack's commands, clicks and events) arriving at this process, over the last
 * quarter second. One per process: the Slack connector counts them, and both the work after an ack and,
 * in role `all`, the pipeline's jobs hold back while they come faster than a burst rate, because all
 * of them share this process's main thread with the acks.
 */
export const interactiveArrivals = new ArrivalRate(250);

/** A `hold` for a HeadroomGate: true while requests arrive faster than `perSecond`; undefined when off. */
export function burstHold(perSecond: number | undefined): (() => boolean) | undefined {
  if (perSecond === undefined) return undefined;
  return () => interactiveArrivals.perSecond() > perSecond;
}
