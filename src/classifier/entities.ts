import * as chrono from 'chrono-node';
import { timezoneOffsetMinutes } from '../domain/zoned-time.ts';
import { winkFor } from './wink-instance.js';

/** Entity types the classifier reports (wink-nlp names). */
export type EntityType = 'DATE' | 'TIME' | 'DURATION' | 'MONEY' | 'EMAIL' | 'PHONE' | 'URL';

/** One entity found in a message. */
export interface MessageEntity {
  readonly type: EntityType;
  readonly value: string;
}

/** Entities, sentiment and the date a message points at. */
export interface MessageAnalysis {
  readonly entities: MessageEntity[];
  /** wink-nlp sentiment, -1 (very negative) .. 1 (very positive). */
  readonly sentiment: number;
  /** The first future-or-today date/time chrono-node resolves from the text, if any. */
  readonly mentionedDate: Date | null;
}

const KEPT = new Set<string>(['DATE', 'TIME', 'DURATION', 'MONEY', 'EMAIL', 'PHONE', 'URL']);
// wink's lite model has no PHONE entity; numbers with separators of phone-like length are caught here.
const PHONE = /(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){2,4}/g;

/**
 * Extracts entities and sentiment with wink-nlp (pipeline `sbd`, `negation`, `sentiment`, `ner`
 * only) and resolves dates with chrono-node relative to `referenceDate` in `timezone`.
 *
 * @param timezone - IANA zone or UTC offset in minutes used for "tomorrow at 3pm". Default `UTC`.
 */
export function analyzeMessage(text: string, referenceDate: Date = new Date(), timezone: string | number = 'UTC'): MessageAnalysis {
  const nlp = winkFor(['sbd', 'negation', 'sentiment', 'ner']);
  const doc = nlp.readDoc(text);
  const entities: MessageEntity[] = [];
  for (const detail of doc.entities().out(nlp.its.detail) as unknown as { value: string; type: string }[]) {
    if (KEPT.has(detail.type)) entities.push({ type: detail.type as EntityType, value: detail.value });
  }
  for (const match of text.match(PHONE) ?? []) {
    if (match.replace(/\D/g, '').length >= 7) entities.push({ type: 'PHONE', value: match.trim() });
  }
  const offset = typeof timezone === 'number' ? timezone : timezoneOffsetMinutes(timezone, referenceDate) /* chrono-node takes offsets, not zone names */;
  const parsed = chrono.parse(text, { instant: referenceDate, timezone: offset }, { forwardDate: true });
  const first = parsed.find((p) => p.start.date().getTime() >= referenceDate.getTime() - 86_400_000);
  return { entities, sentiment: doc.out(nlp.its.sentiment) as unknown as number, mentionedDate: first ? first.start.date() : null };
}
