import { RapportError } from '../errors.ts';

/** The period insights look at, and the one just before it (for trends). */
export interface InsightsPeriod {
  from: Date;
  to: Date;
  previousFrom: Date;
  /** What was asked for: "30d". */
  label: string;
  days: number;
}

const UNIT_DAYS: Record<string, number> = { d: 1, w: 7, m: 30 };

/**
 * Reads `30d`, `4w`, `3m` (a month is 30 days) or a bare number of days: the period ends at `now`.
 * @throws RapportError invalid_input with the accepted forms.
 */
export function parseInsightsPeriod(text: string | undefined, now: Date): InsightsPeriod {
  const raw = (text ?? '30d').trim().toLowerCase();
  const m = /^(\d{1,4})\s*([dwm]?)$/.exec(raw);
  const days = m ? Number(m[1]) * UNIT_DAYS[m[2] || 'd'] : Number.NaN;
  if (!m || !Number.isInteger(days) || days < 1 || days > 730)
    throw new RapportError(
      'invalid_input',
      `"${text}" is not a period: use a number of days, weeks or months up to two years, e.g. 7d, 30d, 4w or 3m.`,
    );
  const span = days * 86_400_000;
  return {
    from: new Date(now.getTime() - span),
    to: now,
    previousFrom: new Date(now.getTime() - 2 * span),
    label: `${m[1]}${m[2] || 'd'}`,
    days,
  };
}
