import { ArrivalRate } from './arrival-rate.ts';

/**
 * Requests people wait on (Slack's commands, clicks and events) arriving at this process. One per
 * process: the Slack connector counts them, and both the work after an ack and, in role `all`, the
 * pipeline's jobs hold back while they come in a burst, because all of them share this process's main
 * thread with the acks.
 */
export class InteractiveArrivals {
  /** Over the last quarter second: a burst is seen within a few dozen requests. */
  readonly recent: ArrivalRate;
  /** Over the last second: a burst is over only when this one says so (a short gap is not its end). */
  readonly lastSecond: ArrivalRate;

  constructor(now: () => number = () => performance.now()) {
    this.recent = new ArrivalRate(250, now);
    this.lastSecond = new ArrivalRate(1_000, now);
  }

  add(): void {
    this.recent.add();
    this.lastSecond.add();
  }
}

export const interactiveArrivals = new InteractiveArrivals();

/**
 * A `hold` for a HeadroomGate, undefined when off: true from the moment requests arrive faster than
 * `perSecond` over the last quarter second until the last whole second has seen fewer than half as
 * many. Why the two: a burst's own hiccups (a pause of the sender, a garbage collection here) empty a
 * quarter second now and then, and each such gap let held work start in the middle of the burst.
 */
export function burstHold(
  perSecond: number | undefined,
  arrivals: InteractiveArrivals = interactiveArrivals,
): (() => boolean) | undefined {
  if (perSecond === undefined) return undefined;
  let holding = false;
  return () => {
    holding = holding ? arrivals.lastSecond.perSecond() >= perSecond / 2 : arrivals.recent.perSecond() > perSecond;
    return holding;
  };
}
