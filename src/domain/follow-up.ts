/**
 * What a follow-up is, in one place: its states, which of them still need someone, when it is overdue,
 * the reference to the chat message that shows it, and when one picked by day is due. Services, jobs,
 * cards and commands ask here instead of spelling the states out.
 */

import { addCalendarDays, type BusinessHours, openingTime, workingDayOnOrAfter } from './business-hours.ts';
import { DEFAULT_HOUR } from './parse-when.ts';
import { instantToWallClock, zonedWallClockToInstant } from './zoned-time.ts';

/** Every state, in the order a follow-up usually goes through them. Mirrors the `FollowUpStatus` enum. */
export const FOLLOW_UP_STATUSES = ['suggested', 'open', 'snoozed', 'done', 'dismissed'] as const;
export type FollowUpState = (typeof FOLLOW_UP_STATUSES)[number];

/** Accepted and not finished: reminders fire, escalation and digests count it, `followups` lists it. */
export const OPEN_STATUSES = ['open', 'snoozed'] as const satisfies readonly FollowUpState[];

/** Still waiting for someone: open ones and suggestions nobody accepted or dismissed yet. */
export const ACTIVE_STATUSES = ['suggested', 'open', 'snoozed'] as const satisfies readonly FollowUpState[];

export function isOpen(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** Open (or snoozed) and its due time has passed. */
export function isOverdue(f: { status: string; dueAt: Date }, now: Date): boolean {
  return isOpen(f.status) && f.dueAt.getTime() < now.getTime();
}

/** FollowUp.messageRef is "<target>|<platform message id>": the post that shows it, to update in place. */
export function formatMessageRef(target: string, externalId: string): string {
  return `${target}|${externalId}`;
}

export function parseMessageRef(ref: string): { target: string; externalId: string } {
  const at = ref.lastIndexOf('|');
  return { target: ref.slice(0, at), externalId: ref.slice(at + 1) };
}

/** A calendar day in the rep's zone. */
export interface DueDay {
  year: number;
  month: number;
  day: number;
}

/** How soon a follow-up picked for today is due once {@link DEFAULT_HOUR}:00 has passed. */
export const LATE_PICK_DELAY_MS = 3_600_000;

/**
 * When a follow-up picked by day (a form's date field) is due: {@link DEFAULT_HOUR}:00 that day in
 * `timeZone` (the opening time of `hours` when the team's hours are given), or in an hour when that is
 * already past (today picked in the afternoon).
 */
export function dueOnDay(day: DueDay, now: Date, timeZone: string, hours?: BusinessHours): Date {
  const at = zonedWallClockToInstant({ ...day, ...openingTime(hours) }, timeZone);
  return at.getTime() <= now.getTime() ? new Date(now.getTime() + LATE_PICK_DELAY_MS) : at;
}

/**
 * The default due time offered for a new follow-up, "tomorrow morning": tomorrow at {@link DEFAULT_HOUR}:00
 * in `timeZone`; with the team's `hours`, the opening time of the next working day after today (a
 * Sunday–Thursday team asked on Thursday gets Sunday).
 */
export function dueTomorrowMorning(now: Date, timeZone: string, hours?: BusinessHours): Date {
  const today = instantToWallClock(now, timeZone);
  const tomorrow = addCalendarDays({ year: today.year, month: today.month, day: today.day }, 1);
  return dueOnDay(hours ? workingDayOnOrAfter(tomorrow, hours) : tomorrow, now, timeZone, hours);
}
