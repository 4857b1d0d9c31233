import type { Database } from './database.ts';

/**
 * The newest correction time the last retrain attempt looked at (activated or refused), or null
 * when no retrain ran yet. A refused model is stored too, so this is what stops the nightly job
 * from retraining the same corrections again.
 */
export async function readLastRetrainCorrectionsSeen(db: Database): Promise<Date | null> {
  const [row] = await db.sql.query<{ seen: string | null }>(
    `SELECT "trainingSummary"->>'correctionsSeen' AS seen FROM "Model"
      WHERE "trainingSummary" ? 'correctionsSeen' ORDER BY "createdAt" DESC LIMIT 1`,
  );
  return row?.seen ? new Date(row.seen) : null;
}
