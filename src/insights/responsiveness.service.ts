import type { Database } from '../db/database.ts';
import { customerTurns } from '../db/insights.repository.ts';
import type { InsightsPeriod } from './insights-period.ts';
import type { InsightsSettings } from './insights-settings.ts';
import { responseStats, timeTurns, type ResponseStats, type TimedTurn } from './response-times.ts';

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

/** Customer turns of the period, timed in business minutes (shared with the health score). */
export async function timedTurns(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: { companyIds?: string[]; from?: Date } = {},
): Promise<(TimedTurn & { companyName: string | null })[]> {
  const turns = await customerTurns(db.sql, {
    from: opts.from ?? period.from,
    to: period.to,
    companyIds: opts.companyIds,
  });
  const timed = timeTurns(turns, period.to, settings.businessHours, settings.responseTargetMinutes);
  return timed.map((t, i) => ({ ...t, companyName: turns[i].companyName }));
}

/**
 * Responsiveness: first-response and follow-up times of customer turns on email and chat (time to
 * the first outbound message in the same conversation), in business minutes, per rep, team and
 * channel, against the response target.
 */
export async function responsivenessInsight(
  db: Database,
  period: InsightsPeriod,
  settings: InsightsSettings,
  opts: { companyIds?: string[]; turns?: Awaited<ReturnType<typeof timedTurns>> } = {},
): Promise<ResponsivenessInsight> {
  const timed = opts.turns ?? (await timedTurns(db, period, settings, opts));
  const view = (t: (typeof timed)[number]): TimedTurnView => ({
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
  const h = settings.businessHours;
  return {
    targetMinutes: settings.responseTargetMinutes,
    businessHours: `${hhmm(h.startMinute)}-${hhmm(h.endMinute)} ${h.days.map((d) => DAYS[d]).join(',')} ${h.timeZone}`,
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
    waiting: timed
      .filter((t) => !t.reply)
      .sort((a, b) => b.waitedMinutes - a.waitedMinutes)
      .slice(0, 10)
      .map(view),
  };
}
