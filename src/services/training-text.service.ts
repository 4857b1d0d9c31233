import type { DbClient } from '../db/db-client.ts';
import { changeTrainingMark } from '../db/insights.repository.ts';
import {
  deleteLabeledExample,
  findLabeledExamplesOfRecords,
  updateLabeledExampleText,
} from '../db/labeled-example.repository.ts';
import { findCleanTextsOfRecord } from '../db/message.repository.ts';
import { MODEL_WITHDRAW_ACTION, withdrawModelsTrainedSince } from '../db/model-withdrawal.repository.ts';
import { holdsAnyWord, holdsWords } from '../domain/words-taken-out.ts';
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
 * messages as they are now: redacted by an erasure, without one its author deleted, or with the words
 * its author's edit left. A message stored after the text was taken stays out of it (it was never part
 * of the correction). An example with none of its messages left is deleted. Each keeps its label, its `updatedAt` (when the label
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

/** How a message's words were taken back on its platform: it was deleted, or edited with words taken out. */
export type WordsTakenBack = 'message.delete' | 'message.edit';

/** What forgetTakenBackWords did to the training data. */
export interface ForgottenWords {
  /** The record's correction text: `kept` as it was, `rebuilt` from its messages as they are now, or `dropped` (none left). */
  trainingText: 'kept' | 'rebuilt' | 'dropped';
  /** The learned model versions withdrawn (none when no word the text held left it). */
  withdrawnModels: string[];
}

/**
 * In the transaction where a message's author took words back on the platform, after the message row
 * changed (editChatMessage: an edit that took words out) or went (deleteChatMessage), its record's row
 * held (lockRecord). The record's training example holds the message when the message was stored
 * (`createdAt`) up to when the text was taken (`textTakenAt`; a message stored after was never part of
 * it, whatever its words), or when no message is left. The learned models that may have read it are
 * withdrawn only when a word they learned leaves: one of `wordsTakenOut` the example's text holds (all
 * of its words when no message is left). Words the message gained after its text was taken (an edit
 * that only added them, the text kept) and lost again never reached the text nor a model: taking them
 * out withdraws nothing, and the edit leaves the text the rep labeled. When a word leaves, the example
 * is taken again from its messages as they are now (the edited text, or without the deleted message),
 * or deleted when none is left, and the models are withdrawn as an erasure withdraws them
 * (withdrawModelsTrainedSince; the built-in model classifies until the nightly retrain, which the
 * `model.withdraw` audit entry, with `reason`, makes run): the author took the words back, no model
 * keeps them. The training mark changes first (not the erasure mark: the insights keep their caches),
 * so a retrain that read the old text while this ran does not store its model (PrismaModelStore.save
 * `unlessTrainingChangedSince`). A deleted message the example holds leaves its text even with no word
 * of it (punctuation, emoji): the text is taken again, the models, which read no word of it, stay.
 * @param taken.storedAt when the message was stored (its `createdAt`)
 * @param taken.messagesLeft the record's messages now (an edited one stays: at least 1); with none left
 *   the example goes whenever its message was stored
 * @param taken.wordsTakenOut the words the message lost (wordsTakenOut: its old clean text against the
 *   new one, or against nothing when it was deleted)
 * @param taken.reason the `model.withdraw` entry's reason
 */
export async function forgetTakenBackWords(
  tx: DbClient,
  taken: {
    recordId: string;
    storedAt: Date;
    messagesLeft: number;
    wordsTakenOut: ReadonlySet<string>;
    reason: WordsTakenBack;
  },
  actor: AuditActor | undefined,
): Promise<ForgottenWords> {
  const kept: ForgottenWords = { trainingText: 'kept', withdrawnModels: [] };
  const examples = await findLabeledExamplesOfRecords(tx, [taken.recordId]);
  const held = examples.filter(
    (e) => e.text.length > 0 && (taken.messagesLeft === 0 || taken.storedAt.getTime() <= e.textTakenAt.getTime()),
  );
  const wordsLeave = held.some((e) =>
    taken.messagesLeft === 0 ? holdsWords(e.text) : holdsAnyWord(e.text, taken.wordsTakenOut),
  );
  if (!wordsLeave && (held.length === 0 || taken.reason === 'message.edit')) return kept;
  const rebuilt = await rebuildTrainingTexts(tx, [taken.recordId]);
  if (!rebuilt.since) return kept;
  const trainingText = rebuilt.dropped > 0 ? 'dropped' : 'rebuilt';
  if (!wordsLeave) return { trainingText, withdrawnModels: [] };
  await changeTrainingMark(tx);
  const withdrawn = await withdrawModelsTrainedSince(tx, rebuilt.since);
  if (withdrawn.versions.length > 0)
    await writeAudit(tx, {
      action: MODEL_WITHDRAW_ACTION,
      actor,
      subject: taken.recordId,
      details: { versions: withdrawn.versions, activated: withdrawn.activated, reason: taken.reason },
    });
  return { trainingText, withdrawnModels: withdrawn.versions };
}
