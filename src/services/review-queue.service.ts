import { LIKELY_FROM } from '../classifier/confidence-words.ts';
import { UNCLASSIFIED } from '../classifier/labeled-example.ts';
import type { Database } from '../db/database.ts';
import {
  readClassificationsOf,
  readFlaggedCorrections,
  readUnsureClassifications,
  type ReviewCandidateRow,
} from '../db/review-queue.repository.ts';

/** One record a person could help the model with. */
export interface ReviewItem {
  recordId: string;
  /** The record's customer (null: none), whose words `text` quotes. */
  companyId: string | null;
  companyName: string | null;
  text: string;
  /**
   * Why it is here: `flagged` = its correction made the last retrain's held-out score worse (worth
   * a second look); `unsure` = the model answered below "likely"; `unclassified` = it did not answer.
   */
  reason: 'flagged' | 'unsure' | 'unclassified';
  /** The label to confirm: the correction for a flagged record, else the model's best guess. */
  guess: string;
  confidence: number;
}

/** What the queue holds right now. */
export interface ReviewQueue {
  items: ReviewItem[];
  /** Items beyond `items`. */
  more: number;
}

/** The model's best label among stored per-label scores (an `unclassified` answer still has one). */
function bestGuess(row: ReviewCandidateRow): string {
  if (row.label !== UNCLASSIFIED) return row.label;
  let best = UNCLASSIFIED;
  let score = -1;
  for (const [label, s] of Object.entries(row.scores)) {
    if (!label.includes(':') && typeof s === 'number' && s > score) {
      best = label;
      score = s;
    }
  }
  return best;
}

/**
 * The review queue ("help the model"): first the corrections the last retrain flagged as hurting
 * its held-out score, then records the model was least sure about (unclassified or below
 * "likely"), least confident first. Each item's buttons confirm or correct it through the `label`
 * command, which stores a click once however often it arrives.
 *
 * @param limit - most items returned. Default 5.
 */
export async function readReviewQueue(db: Database, limit = 5): Promise<ReviewQueue> {
  const flaggedIds = await readFlaggedCorrections(db);
  const flagged = (await readClassificationsOf(db, flaggedIds)).sort(
    (a, b) => flaggedIds.indexOf(a.recordId) - flaggedIds.indexOf(b.recordId),
  );
  const unsure = await readUnsureClassifications(db, LIKELY_FROM, limit);
  const items: ReviewItem[] = [
    ...flagged.map((row) => ({
      recordId: row.recordId,
      companyId: row.companyId,
      companyName: row.companyName,
      text: row.text,
      reason: 'flagged' as const,
      guess: row.correctedLabel ?? row.label,
      confidence: row.confidence,
    })),
    ...unsure.rows.map((row) => ({
      recordId: row.recordId,
      companyId: row.companyId,
      companyName: row.companyName,
      text: row.text,
      reason: row.label === UNCLASSIFIED ? ('unclassified' as const) : ('unsure' as const),
      guess: bestGuess(row),
      confidence: row.confidence,
    })),
  ];
  const total = flagged.length + unsure.total;
  return { items: items.slice(0, limit), more: Math.max(0, total - Math.min(limit, items.length)) };
}
