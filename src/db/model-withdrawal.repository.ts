import type { Database } from './database.ts';
import type { DbClient } from './db-client.ts';

/**
 * A model the learning loop trained (retrainClassifier): its vocabulary holds every word and word pair
 * of the corrections it trained on (names, company words), its metrics the record ids of corrections.
 * Models stored before `correctionsSeen` existed are known by their source.
 */
const learned = (summary = '"trainingSummary"') =>
  `(${summary}->>'correctionsSeen' IS NOT NULL OR ${summary}->>'source' = 'seed + corrections')`;

/** The audit action an erasure writes when it withdraws models; the nightly retrain reads it. */
export const MODEL_WITHDRAW_ACTION = 'model.withdraw';

/**
 * When the oldest training example taken from these records, or whose text matches an ILIKE pattern,
 * was first stored (`createdAt`: a re-correction moves `updatedAt`, not this), or null when there is
 * none. Read before the erasure deletes and redacts them.
 */
export async function oldestTrainingTextOf(
  client: DbClient,
  who: { recordIds: string[]; patterns: string[] },
): Promise<Date | null> {
  const [row] = await client.$queryRawUnsafe<{ since: Date | string | null }[]>(
    `SELECT min("createdAt") AS since FROM "LabeledExample"
      WHERE "recordId" = ANY($1::uuid[]) OR text ILIKE ANY($2::text[])`,
    who.recordIds,
    who.patterns,
  );
  return row?.since ? new Date(row.since) : null;
}

/**
 * Deletes every model the learning loop trained that may have seen a training example stored at
 * `since` or later: its newest correction time seen (`correctionsSeen`, which a model that read an
 * example is at or after) is not before `since`, or unknown. When the active model goes, the
 * newest built-in default model (`crm-default-*`, trained on the shipped synthetic seed only) is
 * activated; without one none is active and the next worker to look builds and activates it.
 * Run it after the training mark changed in the same transaction (forgetInsightSnapshots for an
 * erasure, changeTrainingMark for a platform delete): the mark's row lock orders it with a retrain
 * saving its model (PrismaModelStore.save `unlessTrainingChangedSince`).
 */
export async function withdrawModelsTrainedSince(
  client: DbClient,
  since: Date,
): Promise<{ versions: string[]; activated: string | null }> {
  const gone = await client.$queryRawUnsafe<{ version: string; active: boolean }[]>(
    `DELETE FROM "Model"
      WHERE ${learned()}
        AND COALESCE(("trainingSummary"->>'correctionsSeen')::timestamptz >= $1::timestamptz, true)
      RETURNING version, active`,
    since.toISOString(),
  );
  let activated: string | null = null;
  if (gone.some((m) => m.active)) {
    const [row] = await client.$queryRawUnsafe<{ version: string }[]>(
      `UPDATE "Model" SET active = true
        WHERE id = (SELECT id FROM "Model" WHERE version LIKE 'crm-default-%' ORDER BY "createdAt" DESC LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM "Model" WHERE active)
        RETURNING version`,
    );
    activated = row?.version ?? null;
  }
  return { versions: gone.map((m) => m.version).sort(), activated };
}

/**
 * Whether an erasure withdrew models after the learning loop's last attempt (its newest stored model),
 * so the nightly retrain runs even when no correction is newer than the ones it saw.
 */
export async function modelsWithdrawnSinceLastRetrain(db: Database): Promise<boolean> {
  const [row] = await db.sql.query<{ due: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM "AuditLog" a
        WHERE a.action = $1
          AND a."createdAt" > COALESCE((SELECT max(m."createdAt") FROM "Model" m WHERE ${learned('m."trainingSummary"')}), '-infinity'::timestamptz)
     ) AS due`,
    [MODEL_WITHDRAW_ACTION],
  );
  return row?.due === true;
}
