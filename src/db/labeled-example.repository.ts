import type { DbClient } from './db-client.ts';
import type { LabeledExample } from './generated/client.ts';

/** The training examples taken from these records. */
export function findLabeledExamplesOfRecords(client: DbClient, recordIds: string[]): Promise<LabeledExample[]> {
  return client.labeledExample.findMany({ where: { recordId: { in: recordIds } } });
}

/** Deletes the training examples taken from these records; returns how many. */
export async function deleteLabeledExamplesOfRecords(client: DbClient, recordIds: string[]): Promise<number> {
  return (await client.labeledExample.deleteMany({ where: { recordId: { in: recordIds } } })).count;
}

/** Training examples whose text matches an ILIKE pattern, with the record each was taken from (if any). */
export function findLabeledExamplesMentioning(
  client: DbClient,
  patterns: string[],
): Promise<Array<{ id: string; recordId: string | null; text: string }>> {
  return client.$queryRawUnsafe<Array<{ id: string; recordId: string | null; text: string }>>(
    `SELECT id::text, "recordId"::text AS "recordId", text FROM "LabeledExample" WHERE text ILIKE ANY($1::text[])`,
    patterns,
  );
}

/**
 * Writes a training example's redacted or rebuilt text. Its `updatedAt` (when its label last changed,
 * which the retrain orders and splits corrections by) and `createdAt` (when its text was first stored,
 * which the model withdrawal compares) stay: new words are not a new label.
 */
export async function updateLabeledExampleText(client: DbClient, id: string, text: string): Promise<void> {
  await client.$executeRawUnsafe(`UPDATE "LabeledExample" SET text = $2 WHERE id = $1::uuid`, id, text);
}

/** Deletes one training example. */
export async function deleteLabeledExample(client: DbClient, id: string): Promise<void> {
  await client.$executeRawUnsafe(`DELETE FROM "LabeledExample" WHERE id = $1::uuid`, id);
}
