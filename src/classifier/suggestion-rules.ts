import { UNCLASSIFIED } from './labeled-example.ts';
import { addBusinessHours } from '../domain/business-dates.ts';
import { type BusinessHours, DEFAULT_BUSINESS_HOURS, openingTime, workingDaysAfter } from '../domain/business-hours.ts';
import { instantToWallClock, zonedWallClockToInstant } from '../domain/zoned-time.ts';
import type { MessageEntity } from './entities.ts';

/** How urgent a suggested follow-up is. */
export type FollowUpPriority = 'low' | 'normal' | 'high';

/**
 * When a suggestion is due: a fixed offset in hours, business hours, working days (that many working
 * days after the message's day, at the team's opening time), or the date the message mentions.
 */
export type DueOffset =
  | { readonly hours: number }
  | { readonly businessHours: number }
  | { readonly days: number }
  | 'mentioned-date';

/** One row of the rule table. The first row whose conditions all hold wins. */
export interface SuggestionRule {
  readonly label: string;
  /** Only when sentiment is at most this (e.g. `-0.3` for clearly negative). */
  readonly maxSentiment?: number;
  /** Only when the message mentions a resolvable date. */
  readonly needsDate?: boolean;
  /** Only when confidence is at least this. Default: any. */
  readonly minConfidence?: number;
  /** Only when the churn-risk signal is on (a complaint or request that threatens to leave). */
  readonly churnRisk?: boolean;
  readonly text: string;
  readonly priority: FollowUpPriority;
  readonly due: DueOffset;
}

/** A follow-up the bot proposes; a person accepts, edits or dismisses it. */
export interface FollowUpSuggestion {
  readonly text: string;
  readonly priority: FollowUpPriority;
  readonly dueAt: Date;
  readonly rule: number;
  /**
   * The due date the rule gave when it had already passed at `suggestedAt` (a call logged days later,
   * mail fetched late): the suggestion is then due at `suggestedAt` instead.
   */
  readonly pastDueAt?: Date;
}

/** Input of {@link suggestFollowUp}. */
export interface SuggestionInput {
  readonly label: string;
  readonly confidence: number;
  /** null = unknown (no sentiment model for the language): rules that need a sentiment do not match. */
  readonly sentiment: number | null;
  readonly entities: readonly MessageEntity[];
  /** Date resolved from the message (see analyzeMessage), if any. */
  readonly mentionedDate?: Date | null;
  /** The classifier's churn-risk signal (see Classification.churnRiskFlag). Default false. */
  readonly churnRisk?: boolean;
  /** When the message was said: dates in it and due offsets count from here. */
  readonly now: Date;
  /**
   * When the suggestion is made (default `now`): a due date already past then (a message logged or
   * fetched late) is due at this time, and {@link FollowUpSuggestion.pastDueAt} keeps the one it had.
   */
  readonly suggestedAt?: Date;
  /** IANA zone for business hours. Default `UTC`. */
  readonly timezone?: string;
  /** The team's business hours (RAPPORT_BUSINESS_HOURS/DAYS). Default 09:00–17:00 Monday–Friday. */
  readonly businessHours?: BusinessHours;
}

/** The shipped rule table; pass your own to {@link suggestFollowUp} to change it. `other` and `unclassified` get nothing. */
export const DEFAULT_SUGGESTION_RULES: readonly SuggestionRule[] = [
  {
    label: 'issue',
    churnRisk: true,
    text: 'Call today: they threaten to leave over this problem',
    priority: 'high',
    due: { businessHours: 4 },
  },
  ...(['need', 'feedback', 'scheduling', 'purchase'] as const).map((label) => ({
    label,
    churnRisk: true,
    text: 'Call to keep them: they hint at leaving',
    priority: 'high' as const,
    due: { businessHours: 4 },
  })),
  { label: 'issue', maxSentiment: -0.3, text: 'Call back today', priority: 'high', due: { businessHours: 4 } },
  { label: 'issue', text: 'Reply about the problem', priority: 'normal', due: { businessHours: 8 } },
  { label: 'purchase', needsDate: true, text: 'Send the quote', priority: 'high', due: 'mentioned-date' },
  { label: 'purchase', text: 'Send the quote', priority: 'normal', due: { businessHours: 16 } },
  { label: 'churn', text: 'Call to understand why they want to leave', priority: 'high', due: { businessHours: 4 } },
  { label: 'scheduling', needsDate: true, text: 'Confirm the meeting', priority: 'normal', due: 'mentioned-date' },
  { label: 'scheduling', text: 'Propose meeting times', priority: 'normal', due: { businessHours: 8 } },
  { label: 'need', text: 'Answer the request', priority: 'normal', due: { businessHours: 16 } },
  { label: 'feedback', text: 'Thank them for the feedback', priority: 'low', due: { days: 3 } },
];

/**
 * Picks the follow-up for a classified message from a rule table (first match wins). Pure: the
 * same input always gives the same suggestion; `null` for `other`, `unclassified` or no match.
 */
export function suggestFollowUp(
  input: SuggestionInput,
  rules: readonly SuggestionRule[] = DEFAULT_SUGGESTION_RULES,
): FollowUpSuggestion | null {
  if (input.label === UNCLASSIFIED) return null;
  const date = input.mentionedDate && input.mentionedDate.getTime() > input.now.getTime() ? input.mentionedDate : null;
  const index = rules.findIndex(
    (r) =>
      r.label === input.label &&
      (r.maxSentiment === undefined || (input.sentiment !== null && input.sentiment <= r.maxSentiment)) &&
      (!r.needsDate || date !== null) &&
      (r.minConfidence === undefined || input.confidence >= r.minConfidence) &&
      (!r.churnRisk || input.churnRisk === true),
  );
  if (index < 0) return null;
  const rule = rules[index];
  const tz = input.timezone ?? 'UTC';
  let dueAt: Date;
  const hours = input.businessHours;
  if (rule.due === 'mentioned-date') dueAt = date ?? addBusinessHours(input.now, 8, tz, hours);
  else if ('businessHours' in rule.due) dueAt = addBusinessHours(input.now, rule.due.businessHours, tz, hours);
  else if ('hours' in rule.due) dueAt = new Date(input.now.getTime() + rule.due.hours * 3_600_000);
  else dueAt = workingDaysLater(input.now, rule.due.days, tz, hours);
  const suggestedAt = input.suggestedAt ?? input.now;
  if (dueAt.getTime() < suggestedAt.getTime())
    return { text: rule.text, priority: rule.priority, dueAt: suggestedAt, rule: index, pastDueAt: dueAt };
  return { text: rule.text, priority: rule.priority, dueAt, rule: index };
}

/** The team's opening time `days` working days after the day of `now` in `timeZone` (Friday + 3: Wednesday 09:00). */
function workingDaysLater(now: Date, days: number, timeZone: string, hours = DEFAULT_BUSINESS_HOURS): Date {
  const today = instantToWallClock(now, timeZone);
  const day = workingDaysAfter({ year: today.year, month: today.month, day: today.day }, days, hours);
  return zonedWallClockToInstant({ ...day, ...openingTime(hours) }, timeZone);
}
