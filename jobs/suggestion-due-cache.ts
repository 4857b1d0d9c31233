import {
  addBusinessHours,
  DEFAULT_SUGGESTION_RULES,
  suggestFollowUp,
  type FollowUpSuggestion,
  type SuggestionInput,
  type SuggestionRule,
} from '../src/classifier/suggestion-rules.ts';

/**
 * suggestFollowUp() with the business-hours arithmetic memoised per minute.
 *
 * addBusinessHours() walks minute by minute through hundreds of timezone conversions (it cost 20-75 ms
 * of CPU per call before its formatter was cached, and still about a millisecond after). Its result depends
 * only on the minute of `now` (it floors to the minute first), the hours and the zone, so caching it
 * per (minute, hours, zone) returns exactly the same due dates. The rule is still picked by
 * suggestFollowUp() itself (with the due dates neutralised, so it does no business-hours walk).
 */
export class SuggestionDueCache {
  private minute = -1;
  private readonly dueByKey = new Map<string, Date>();
  private readonly pickOnly: SuggestionRule[];

  constructor(private readonly rules: readonly SuggestionRule[] = DEFAULT_SUGGESTION_RULES) {
    this.pickOnly = rules.map((r) => ({ ...r, due: { hours: 0 } }));
  }

  suggest(input: SuggestionInput): FollowUpSuggestion | null {
    const picked = suggestFollowUp(input, this.pickOnly);
    if (!picked) return null;
    const rule = this.rules[picked.rule];
    const tz = input.timezone ?? 'UTC';
    const now = input.now;
    let dueAt: Date;
    if (rule.due === 'mentioned-date') {
      const date = input.mentionedDate && input.mentionedDate.getTime() > now.getTime() ? input.mentionedDate : null;
      dueAt = date ?? this.businessHoursFrom(now, 8, tz);
    } else if ('businessHours' in rule.due) dueAt = this.businessHoursFrom(now, rule.due.businessHours, tz);
    else if ('hours' in rule.due) dueAt = new Date(now.getTime() + rule.due.hours * 3_600_000);
    else dueAt = new Date(now.getTime() + rule.due.days * 86_400_000);
    return { ...picked, dueAt };
  }

  private businessHoursFrom(now: Date, hours: number, tz: string): Date {
    const minute = Math.floor(now.getTime() / 60_000);
    // Reruns classify with the classification's own (older) time: those are not cached.
    if (minute < this.minute) return addBusinessHours(now, hours, tz);
    if (minute > this.minute) {
      this.minute = minute;
      this.dueByKey.clear();
    }
    const key = `${hours}|${tz}`;
    let due = this.dueByKey.get(key);
    if (!due) this.dueByKey.set(key, (due = addBusinessHours(now, hours, tz)));
    return new Date(due.getTime());
  }
}
