import type { DbClient } from '../db/db-client.ts';
import { changeErasureMark } from '../db/insights.repository.ts';
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
 * Takes the training text of these records' corrections again as correctLabel takes it (the clean
 * texts of the record's messages, oldest first, joined), from the messages as they are now: redacted
 * by an erasure, or without one its author deleted. An example whose record has no message left is
 * deleted. Each keeps its label, its `updatedAt` (when the label changed) and its `createdAt`.
 */
export async function rebuildTrainingTexts(tx: DbClient, recordIds: string[]): Promise<RebuiltTrainingTexts> {
  const result: RebuiltTrainingTexts = { rebuilt: 0, dropped: 0, since: null };
  for (const e of await findLabeledExamplesOfRecords(tx, recordIds)) {
    if (e.recordId === null) continue;
    const texts = await findCleanTextsOfRecord(tx, e.recordId);
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
 * message row went: when the record's training example may hold the message's words (its clean text
 * is in the example's text, or it was edited after it may have been taken, or no message is left),
 * the example is taken again from the messages left, or deleted when none is, and the learned models
 * that may have read it are withdrawn as an erasure withdraws them (withdrawModelsTrainedSince; the
 * built-in model classifies until the nightly retrain, which the audit entry makes run). The author
 * took the words back: no model keeps them. The erasure mark changes first, so a retrain that read the
 * old text while this ran does not store its model (PrismaModelStore.save `unlessErasedSince`).
 * @returns the versions withdrawn (none when the example did not hold the message).
 */
export async function forgetDeletedMessageTraining(
  tx: DbClient,
  deleted: { recordId: string; cleanText: string; edited: boolean; messagesLeft: number },
  actor: AuditActor | undefined,
): Promise<{ trainingText: 'kept' | 'rebuilt' | 'dropped'; withdrawnModels: string[] }> {
  const examples = await findLabeledExamplesOfRecords(tx, [deleted.recordId]);
  const held = examples.some(
    (e) =>
      e.text.length > 0 &&
      (deleted.messagesLeft === 0 ||
        deleted.edited ||
        (deleted.cleanText !== '' && e.text.includes(deleted.cleanText))),
  );
  if (!held) return { trainingText: 'kept', withdrawnModels: [] };
  const rebuilt = await rebuildTrainingTexts(tx, [deleted.recordId]);
  if (!rebuilt.since) return { trainingText: 'kept', withdrawnModels: [] };
  await changeErasureMark(tx);
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
