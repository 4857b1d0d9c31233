const DAY = 86_400_000;

/** How a period's intervals are read: whole UTC days from the rollups, the rest live from the messages. */
export interface RollupSplit {
  /** Whole UTC days ("2026-11-03") inside one interval and before the rollups' coverage end. */
  days: string[];
  /** [from, to) pieces read from the messages: partial days at the cuts, and everything from the coverage end. */
  live: [Date, Date][];
}

/**
 * Splits the intervals between consecutive `cuts` (ascending) so that no rolled-up day straddles a
 * cut: a figure filtered by interval (earlier half, later half...) comes out the same as live.
 * Without coverage everything is live.
 */
export function splitForRollups(cuts: readonly Date[], coveredUntil: Date | undefined): RollupSplit {
  const days: string[] = [];
  const live: [Date, Date][] = [];
  const addLive = (a: number, b: number) => {
    if (a >= b) return;
    const last = live[live.length - 1];
    if (last && last[1].getTime() === a) last[1] = new Date(b);
    else live.push([new Date(a), new Date(b)]);
  };
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i].getTime();
    const b = cuts[i + 1].getTime();
    const first = Math.ceil(a / DAY) * DAY;
    const end = Math.min(Math.floor(b / DAY) * DAY, coveredUntil?.getTime() ?? Number.NEGATIVE_INFINITY);
    if (first >= end) {
      addLive(a, b);
      continue;
    }
    addLive(a, first);
    for (let d = first; d < end; d += DAY) days.push(new Date(d).toISOString().slice(0, 10));
    addLive(end, b);
  }
  return { days, live };
}
