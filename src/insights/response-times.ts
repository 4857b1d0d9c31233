import { businessMinutesBetween, type BusinessHours } from './business-hours.ts';

/** A customer turn as response times read it (see customerTurns in src/db/insights.repository.ts). */
export interface TurnForTiming {
  messageId: string;
  recordId: string;
  companyId: string | null;
  channelKind: string;
  team: string;
  kind: 'first' | 'follow-up';
  askedAt: Date;
  reply: { messageId: string; at: Date; responder: string } | null;
  /** Asked before the period and still unanswered at its end: counts as waiting (overdue), not as one of the period's turns. */
  carried?: boolean;
}

/**
 * How far back a turn still open at a period's end is read (as waiting, and overdue once past the
 * target), whatever the period: a customer ignored for 8 days is still waiting in a weekly report.
 * Older ones are left out, as a conversation nobody answered for a quarter is no longer a reply due.
 */
export const OPEN_TURN_HORIZON_DAYS = 90;

/** A turn with its wait in business minutes (to the reply, or until now when none came yet). */
export interface TimedTurn extends TurnForTiming {
  waitedMinutes: number;
  /** Answered within the target, or still inside it. */
  withinTarget: boolean;
  /** No reply yet and already past the target. */
  overdue: boolean;
}

/** Response-time figures of one group (a rep, team, channel, or everyone) and one kind of turn. */
export interface ResponseStats {
  group: string;
  kind: 'first' | 'follow-up' | 'all';
  turns: number;
  answered: number;
  /** Median and 90th percentile business minutes to the reply, over answered turns (null: none). */
  medianMinutes: number | null;
  p90Minutes: number | null;
  /** Share of the period's turns answered within the target, over those answered or already past it (null: none). */
  withinTargetShare: number | null;
  /** Unanswered turns already past the target, the period's and those carried from before it. */
  overdue: number;
}

/** Times every turn against the target: business minutes to the reply, or to `now` for a waiting one. */
export function timeTurns(
  turns: readonly TurnForTiming[],
  now: Date,
  hours: BusinessHours,
  targetMinutes: number,
): TimedTurn[] {
  return turns.map((t) => {
    const waitedMinutes = businessMinutesBetween(t.askedAt, t.reply?.at ?? now, hours);
    return {
      ...t,
      waitedMinutes,
      withinTarget: waitedMinutes <= targetMinutes,
      overdue: !t.reply && waitedMinutes > targetMinutes,
    };
  });
}

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Groups timed turns by `groupOf` (a turn may count for no group: undefined) and kind, and gives each
 * group's counts, median and p90 minutes, and share within the target.
 */
export function responseStats(
  timed: readonly TimedTurn[],
  groupOf: (t: TimedTurn) => string | undefined,
): ResponseStats[] {
  const groups = new Map<string, TimedTurn[]>();
  for (const t of timed) {
    const g = groupOf(t);
    if (g === undefined) continue;
    for (const key of [`${g}\u0000${t.kind}`, `${g}\u0000all`]) {
      const list = groups.get(key) ?? [];
      groups.set(key, list);
      list.push(t);
    }
  }
  const out: ResponseStats[] = [];
  for (const [key, list] of groups) {
    const [group, kind] = key.split('\u0000') as [string, ResponseStats['kind']];
    const answered = list.filter((t) => t.reply);
    const minutes = answered.map((t) => t.waitedMinutes).sort((a, b) => a - b);
    // Carried turns were judged in the period they were asked in: here they only wait.
    const own = list.filter((t) => !t.carried);
    const judged = own.filter((t) => t.reply || t.overdue);
    out.push({
      group,
      kind,
      turns: own.length,
      answered: answered.length,
      medianMinutes: percentile(minutes, 0.5),
      p90Minutes: percentile(minutes, 0.9),
      withinTargetShare:
        judged.length === 0 ? null : judged.filter((t) => t.reply && t.withinTarget).length / judged.length,
      overdue: list.filter((t) => t.overdue).length,
    });
  }
  return sortStats(out);
}

/** Groups in name order, each as all, first, follow-up. */
export function sortStats(stats: ResponseStats[]): ResponseStats[] {
  const order = { all: 0, first: 1, 'follow-up': 2 };
  return stats.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : order[a.kind] - order[b.kind]));
}
