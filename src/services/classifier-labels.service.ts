import { insertClassifierLabel } from '../db/classifier-label.repository.ts';
import type { Database } from '../db/database.ts';
import { RapportError } from '../errors.ts';
import { correctableLabels } from './correct-label.service.ts';
import { writeAudit } from './audit.service.ts';

/** Label names: lowercase slugs such as `quote_request`. */
const LABEL_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * Adds a label reps may correct to (an administrator's decision: `rapport model label add`). The
 * active model cannot predict it until a retrain has corrections with it; until then it only
 * exists for `label` and the review buttons.
 * @returns false when the label was already known.
 */
export async function addClassifierLabel(
  db: Database,
  nameInput: string,
  description: string,
  addedBy: string,
): Promise<boolean> {
  const name = nameInput.trim().toLowerCase();
  if (!LABEL_PATTERN.test(name))
    throw new RapportError(
      'invalid_input',
      `"${nameInput}" cannot be a label: use a lowercase word or words joined by _ or -, e.g. quote_request (at most 40 characters).`,
    );
  if (description.trim().length < 3)
    throw new RapportError(
      'invalid_input',
      'Say what the label means (reps see it when they choose one): rapport model label add quote_request "asks for a price quote".',
    );
  if ((await correctableLabels(db)).includes(name)) return false;
  const added = await insertClassifierLabel(db, { name, description: description.trim(), createdBy: addedBy });
  if (added) await writeAudit(db.prisma, { action: 'classifier.label.add', subject: name, details: { by: addedBy } });
  return added;
}
