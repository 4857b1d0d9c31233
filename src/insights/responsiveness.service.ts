import type { Database } from '../db/database.ts';
import { businessHoursKey } from '../db/insight-rollups.repository.ts';
import {
  customerTurns,
  type GroupFigures,
  slowestStoredTurns,
  storedResponseStats,
  turnsToTime,
} from '../db/insights.repository.ts';
import type { InsightsPeriod } from './insights-period.ts';
import type { InsightsSettings } from './insights-settings.ts';
import {
  OPEN_TURN_HORIZON_DAYS,
  responseStats,
  sortStats,
  timeTurns,
  type ResponseStats,
  type TimedTurn,
} from './response-times.ts';

export interface ResponsivenessInsight {
  targetMinutes: number;
  /** Opening hours the minutes are counted in, as configured: "09:00-17:00 mon,tue,... Europe/Berlin". */
  businessHours: string;
  overall: ResponseStats[];
  byRep: ResponseStats[];
  byTeam: ResponseStats[];
  byChannel: ResponseStats[];
  /** The slowest answered and the longest-waiting unanswered turns (at most 10 each), to check. */
  slowest: TimedTurnView[];
  waiting: TimedTurnView[];
}

export interface TimedTurnView {
  messageId: string;
  recordId: string;
  companyName: string | null;
  channelKind: string;
  kind: 'first' | 'follow-up';
  askedAt: string;
  repliedAt: string | null;
  responder: string | null;
  waitedMinutes: number;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Turns asked since then and still open at the period's end are read with it (OPEN_TURN_HORIZON_DAYS). */
const openSince = (period: InsightsPeriod) => new Date(period.to.getTime() - OPEN_TURN_HORIZON_DAYS * 86_400_000);

/**
 * Customer turns of the period, and those asked before it (within OPEN_TURN_HORIZON_DAYS) still open at
 * its end, timed in business minutes (shared with the health score).
 */
export async function timedTurns(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: { companyIds?: string[]; from?: Date; unansweredOnly?: boolean } = {},
): Promise<(TimedTurn & { companyName: string | null })[]> {
  const turns = await customerTurns(db.sql, {
    from: opts.from ?? period.from,
    to: period.to,
    companyIds: opts.companyIds,
    unansweredOnly: opts.unansweredOnly,
    openSince: openSince(period),
  });
  const timed = timeTurns(turns, period.to, settings.businessHours, settings.responseTargetMinutes);
  return timed.map((t, i) => ({ ...t, companyName: turns[i].companyName }));
}

/**
 * The turns of the period that need timing here, timed: all of them, or, when the rollups hold reply
 * minutes in these business hours, all but the stored answered ones (`inStore`, summed in SQL):
 * unanswered turns, replies since the rollups and the live edge. Every unanswered turn is in it, so
 * the health score can read its overdue ones from the same list (the report does).
 */
export async function turnsToTimeHere(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: { companyIds?: string[] } = {},
) {
  const h = settings.businessHours;
  const split = await turnsToTime(db.sql, {
    from: period.from,
    to: period.to,
    companyIds: opts.companyIds,
    hoursKey: businessHoursKey(h),
    openSince: openSince(period),
  });
  const timed = timeTurns(split.turns, period.to, h, settings.responseTargetMinutes).map((t, i) => ({
    ...t,
    companyName: split.turns[i].companyName,
  }));
  return { timed, inStore: split.inStore };
}

/**
 * Responsiveness: first-response and follow-up times of customer turns on email and chat (time to
 * the first answer: an outbound message in any of the customer's conversations, or a logged call or
 * meeting), in business minutes, per rep, team and channel, against the response target. Turns asked
 * before the period and still open count as waiting (overdue), not among the period's turns.
 */
export async function responsivenessInsight(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: {
    companyIds?: string[];
    turns?: Awaited<ReturnType<typeof timedTurns>>;
    split?: Awaited<ReturnType<typeof turnsToTimeHere>>;
  } = {},
): Promise<ResponsivenessInsight> {
  const h = settings.businessHours;
  const businessHours = `${hhmm(h.startMinute)}-${hhmm(h.endMinute)} ${h.days.map((d) => DAYS[d]).join(',')} ${h.timeZone}`;
  const split = opts.turns
    ? { timed: opts.turns, inStore: undefined }
    : (opts.split ?? (await turnsToTimeHere(db, period, settings, opts)));
  const timed = split.timed;
  const view = (
    t: Pick<TimedTurn, 'messageId' | 'recordId' | 'channelKind' | 'kind' | 'askedAt' | 'reply' | 'waitedMinutes'> & {
      companyName: string | null;
    },
  ): TimedTurnView => ({
    messageId: t.messageId,
    recordId: t.recordId,
    companyName: t.companyName,
    channelKind: t.channelKind,
    kind: t.kind,
    askedAt: t.askedAt.toISOString(),
    repliedAt: t.reply?.at.toISOString() ?? null,
    responder: t.reply?.responder ?? null,
    waitedMinutes: t.waitedMinutes,
  });
  const waiting = timed
    .filter((t) => !t.reply)
    .sort((a, b) => b.waitedMinutes - a.waitedMinutes)
    .slice(0, 10)
    .map(view);
  if (split.inStore) {
    const [figures, slow] = await Promise.all([
      storedResponseStats(
        db.sql,
        split.inStore,
        timed.map((t) => ({
          team: t.team,
          channelKind: t.channelKind,
          kind: t.kind,
          responder: t.reply?.responder ?? null,
          minutes: t.waitedMinutes,
          overdue: t.overdue,
          carried: t.carried === true,
        })),
        settings.responseTargetMinutes,
      ),
      slowestStoredTurns(db.sql, split.inStore, 10),
    ]);
    const of = (d: GroupFigures['dimension']) => sortStats(figures.filter((f) => f.dimension === d).map(statsOf));
    const answered = [...slow.map((t) => ({ ...t, waitedMinutes: t.minutes })), ...timed.filter((t) => t.reply)];
    // As the whole list sorted by wait (stable over turns in asked order).
    answered.sort(
      (a, b) =>
        b.waitedMinutes - a.waitedMinutes ||
        a.askedAt.getTime() - b.askedAt.getTime() ||
        (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0),
    );
    return {
      targetMinutes: settings.responseTargetMinutes,
      businessHours,
      overall: of('overall'),
      byRep: of('rep'),
      byTeam: of('team'),
      byChannel: of('channel'),
      slowest: answered.slice(0, 10).map(view),
      waiting,
    };
  }
  return {
    targetMinutes: settings.responseTargetMinutes,
    businessHours,
    overall: responseStats(timed, () => 'everyone'),
    // A turn counts for the rep who answered it; unanswered turns belong to no rep.
    byRep: responseStats(timed, (t) => t.reply?.responder),
    byTeam: responseStats(timed, (t) => t.team),
    byChannel: responseStats(timed, (t) => t.channelKind),
    slowest: timed
      .filter((t) => t.reply)
      .sort((a, b) => b.waitedMinutes - a.waitedMinutes)
      .slice(0, 10)
      .map(view),
    waiting,
  };
}

const statsOf = (f: GroupFigures): ResponseStats => ({
  group: f.group,
  kind: f.kind,
  turns: f.turns,
  answered: f.answered,
  medianMinutes: f.medianMinutes,
  p90Minutes: f.p90Minutes,
  withinTargetShare: f.judged === 0 ? null : f.withinTarget / f.judged,
  overdue: f.overdue,
});
