import type { DbClient } from '../db/db-client.ts';
import { changeTrainingMark } from '../db/insights.repository.ts';
import {
  deleteLabeledExample,
  findLabeledExamplesOfRecords,
  updateLabeledExampleText,
} from '../db/labeled-example.repository.ts';
import { findCleanTextsOfRecord } from '../db/message.repository.ts';
import { MODEL_WITHDRAW_ACTION, withdrawModelsTrainedSince } from '../db/model-withdrawal.repository.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';

/** What rebuildTrainingTexts changed. */
export interface RebuiltTrainingTexts {
  /** Examples whose text was taken again. */
  rebuilt: number;
  /** Examples deleted: their record has no message (left) to take a text from. */
  dropped: number;
  /**
   * When the oldest example rebuilt or deleted was first stored (`createdAt`), or null when none
   * changed: the learned models trained since may hold the words that left it.
   */
  since: Date | null;
}

/**
 * Takes the training text of these records' corrections again as correctLabel took it (the clean
 * texts of the record's messages stored up to its `textTakenAt`, oldest first, joined), from those
 * messages as they are now: redacted by an erasure, or without one its author deleted. A message
 * stored after the text was taken stays out of it (it was never part of the correction). An example
 * with none of its messages left is deleted. Each keeps its label, its `updatedAt` (when the label
 * changed), its `createdAt` and its `textTakenAt`.
 */
export async function rebuildTrainingTexts(tx: DbClient, recordIds: string[]): Promise<RebuiltTrainingTexts> {
  const result: RebuiltTrainingTexts = { rebuilt: 0, dropped: 0, since: null };
  for (const e of await findLabeledExamplesOfRecords(tx, recordIds)) {
    if (e.recordId === null) continue;
    const texts = await findCleanTextsOfRecord(tx, e.recordId, e.textTakenAt);
    const text = texts.join('\n\n');
    if (texts.length > 0 && text === e.text) continue;
    if (texts.length === 0) {
      await deleteLabeledExample(tx, e.id);
      result.dropped++;
    } else {
      await updateLabeledExampleText(tx, e.id, text);
      result.rebuilt++;
    }
    if (!result.since || e.createdAt < result.since) result.since = e.createdAt;
  }
  return result;
}

/**
 * In the transaction where a message was deleted on its platform (deleteChatMessage), after the
 * message row went, its record's row held (lockRecord): when the record's training example holds the
 * message's words (the message was stored, `createdAt`, up to when the text was taken, `textTakenAt`;
 * an edit after keeps its old words there), the example is taken again from its messages left, or
 * deleted when none is, and the learned models that may have read it are withdrawn as an erasure
 * withdraws them (withdrawModelsTrainedSince; the built-in model classifies until the nightly retrain,
 * which the audit entry makes run). The author took the words back: no model keeps them. A message
 * stored after the text was taken changes nothing. The training mark changes first (not the erasure
 * mark: the insights keep their caches), so a retrain that read the old text while this ran does not
 * store its model (PrismaModelStore.save `unlessTrainingChangedSince`).
 * @returns the versions withdrawn (none when the example did not hold the message).
 */
export async function forgetDeletedMessageTraining(
  tx: DbClient,
  deleted: { recordId: string; storedAt: Date; messagesLeft: number },
  actor: AuditActor | undefined,
): Promise<{ trainingText: 'kept' | 'rebuilt' | 'dropped'; withdrawnModels: string[] }> {
  const examples = await findLabeledExamplesOfRecords(tx, [deleted.recordId]);
  const held = examples.some(
    (e) => e.text.length > 0 && (deleted.messagesLeft === 0 || deleted.storedAt.getTime() <= e.textTakenAt.getTime()),
  );
  if (!held) return { trainingText: 'kept', withdrawnModels: [] };
  const rebuilt = await rebuildTrainingTexts(tx, [deleted.recordId]);
  if (!rebuilt.since) return { trainingText: 'kept', withdrawnModels: [] };
  await changeTrainingMark(tx);
  const withdrawn = await withdrawModelsTrainedSince(tx, rebuilt.since);
  if (withdrawn.versions.length > 0)
    await writeAudit(tx, {
      action: MODEL_WITHDRAW_ACTION,
      actor,
      subject: deleted.recordId,
      details: { versions: withdrawn.versions, activated: withdrawn.activated, reason: 'message.delete' },
    });
  return { trainingText: rebuilt.dropped > 0 ? 'dropped' : 'rebuilt', withdrawnModels: withdrawn.versions };
}
