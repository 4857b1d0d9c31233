import { randomUUID } from 'node:crypto';
import { CRM_LABELS } from '../classifier/default-model.ts';
import { findLatestClassification, setCorrectedLabel } from '../db/classification.repository.ts';
import { readKnownLabels } from '../db/classifier-label.repository.ts';
import { lockRecord } from '../db/communication-record.repository.ts';
import { upsertCorrection } from '../db/correction.repository.ts';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/db-client.ts';
import { findCleanTextsOfRecord } from '../db/message.repository.ts';
import { closestWords } from '../domain/edit-distance.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import { noopPipelineHooks, type PipelineHooks } from './pipeline-hooks.ts';
import { dismissStaleSuggestions } from './posted-cards.service.ts';

/** What a correction did. */
export interface CorrectionResult {
  /** The label the record showed before. */
  previous: string;
  label: string;
  /**
   * False when the record's correction already said this label (a second click, the same button in
   * another channel): nothing was stored, nothing is retrained on twice.
   */
  changed: boolean;
  /** The suggestions made for the old label that were still waiting: dismissed with the correction. */
  dismissed: string[];
}

/** The labels `label` accepts: the active model's (the default CRM labels before any model exists) and added ones. */
export async function correctableLabels(db: Database): Promise<string[]> {
  const known = await readKnownLabels(db);
  const model = known.modelLabels.length > 0 ? known.modelLabels : [...CRM_LABELS];
  return [...model, ...known.added.map((l) => l.name)];
}

/**
 * A rep's correction (or confirmation) of a record's label: sets correctedLabel/By/At on its latest
 * classification and stores the record text as a training example with source "correction" (one
 * per record; a different label replaces it and moves its `updatedAt`; the same label again changes
 * nothing, so a double click is one correction). Only labels the model knows, or an administrator
 * added, are accepted: a typo would otherwise train a model with a label nobody meant. A different
 * label dismisses the conversation's waiting suggestions (made for the old one) in the same transaction,
 * with the refreshes of their cards written down (`recordCardRefreshes`), then queued (`followUpChanged`).
 * @throws RapportError not_found when the record or its classification does not exist, invalid_input for an unknown label.
 */
export async function correctLabel(
  db: Database,
  recordId: string,
  labelInput: string,
  actor: AuditActor,
  hooks: PipelineHooks = noopPipelineHooks,
): Promise<CorrectionResult> {
  const label = labelInput.trim().toLowerCase().replace(/\s+/g, '_');
  const allowed = await correctableLabels(db);
  if (!allowed.includes(label)) {
    const [closest] = closestWords(label, allowed, 2);
    throw new RapportError(
      'invalid_input',
      `"${labelInput.trim()}" is not a label the classifier knows.${closest ? ` Did you mean ${closest}?` : ''} Labels: ${allowed.join(', ')}. An administrator can add a new one with \`rapport model label add NAME "what it means"\`.`,
      { command: 'label' },
    );
  }
  if (!/^[0-9a-f-]{36}$/i.test(recordId))
    throw new RapportError('invalid_input', `"${recordId}" is not a record id; use the Correct button on a record.`);
  const change = randomUUID();
  const result = await inTransaction(db, async (tx) => {
    // One at a time per record with a platform delete or edit, which take its training text again.
    await lockRecord(tx, recordId);
    const latest = await findLatestClassification(tx, recordId);
    if (!latest)
      throw new RapportError(
        'not_found',
        'That record has not been classified yet (or no longer exists); try again in a minute.',
      );
    const previous = latest.correctedLabel ?? latest.label;
    const texts = await findCleanTextsOfRecord(tx, recordId);
    const changed = await upsertCorrection(tx, {
      recordId,
      label,
      text: texts.join('\n\n'),
      createdBy: actor.repId,
      // After the read: every message in the text was stored before (Message.createdAt).
      textTakenAt: new Date(),
    });
    if (changed || latest.correctedLabel !== label) {
      await setCorrectedLabel(tx, latest.id, { label, by: actor.repId, at: new Date() });
    }
    if (changed) {
      await writeAudit(tx, {
        action: 'record.label',
        actor,
        subject: recordId,
        details: { from: previous, to: label, confirmed: previous === label },
      });
    }
    let dismissed: string[] = [];
    if (changed && previous !== label) {
      // The suggestion waiting on this conversation was made for the old label: it no longer fits.
      dismissed = await dismissStaleSuggestions(tx, { recordId }, `label changed from ${previous} to ${label}`, actor);
      if (dismissed.length > 0) await hooks.recordCardRefreshes?.(tx, dismissed, change);
    }
    return { previous, label, changed, dismissed };
  });
  for (const id of result.dismissed) await hooks.followUpChanged(id, change);
  return result;
}
