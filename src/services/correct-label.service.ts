import type { Database } from '../db/database.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';

/** Labels are short slugs ("quote_request", "complaint"); the classifier's label set decides which exist. */
const LABEL_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * A rep's correction of a record's label: sets correctedLabel/By/At on its latest classification and
 * stores the record text as a training example with source "correction" (one per record; a second
 * correction replaces the first).
 * @throws RapportError not_found when the record or its classification does not exist, invalid_input for a malformed label.
 */
export async function correctLabel(
  db: Database,
  recordId: string,
  labelInput: string,
  actor: AuditActor,
): Promise<{ previous: string; label: string }> {
  const label = labelInput.trim().toLowerCase().replace(/\s+/g, '_');
  if (!LABEL_PATTERN.test(label))
    throw new RapportError(
      'invalid_input',
      `"${labelInput}" is not a label; labels look like quote_request or complaint.`,
    );
  if (!/^[0-9a-f-]{36}$/i.test(recordId))
    throw new RapportError('invalid_input', `"${recordId}" is not a record id; use the Correct button on a record.`);
  return db.prisma.$transaction(async (tx) => {
    const latest = await tx.classification.findFirst({ where: { recordId }, orderBy: { createdAt: 'desc' } });
    if (!latest)
      throw new RapportError(
        'not_found',
        'That record has not been classified yet (or no longer exists); try again in a minute.',
      );
    const messages = await tx.message.findMany({
      where: { recordId },
      orderBy: { sentAt: 'asc' },
      select: { cleanText: true },
    });
    await tx.classification.update({
      where: { id: latest.id },
      data: { correctedLabel: label, correctedBy: actor.repId, correctedAt: new Date() },
    });
    const text = messages.map((m) => m.cleanText).join('\n\n');
    await tx.labeledExample.upsert({
      where: { recordId_source: { recordId, source: 'correction' } },
      create: { recordId, source: 'correction', label, text, createdBy: actor.repId },
      update: { label, text, createdBy: actor.repId },
    });
    await writeAudit(tx, {
      action: 'record.label',
      actor,
      subject: recordId,
      details: { from: latest.correctedLabel ?? latest.label, to: label },
    });
    return { previous: latest.correctedLabel ?? latest.label, label };
  });
}
