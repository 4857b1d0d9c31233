import { RapportError } from '../../errors.ts';
import { insertKeptCorrection } from '../../db/review-queue.repository.ts';
import { correctableLabels } from '../../services/correct-label.service.ts';
import { readReviewQueue, type ReviewItem } from '../../services/review-queue.service.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Command } from '../parse-command.ts';
import type { Reply, ReplySection } from '../reply-model.ts';

const WHY: Record<ReviewItem['reason'], string> = {
  flagged: 'this correction made the last retrain score worse: is it right?',
  unsure: 'the model is unsure',
  unclassified: 'the model did not pick a label',
};

/** One review item as a section: confirm with one click, or pick the right label. */
export function reviewSection(item: ReviewItem, labels: readonly string[]): ReplySection {
  const id = item.recordId;
  const confirm =
    item.reason === 'flagged'
      ? { label: `Keep ${item.guess}`, command: `review keep ${id}`, style: 'primary' as const }
      : labels.includes(item.guess)
        ? { label: `Yes, ${item.guess}`, command: `label ${id} ${item.guess}`, style: 'primary' as const }
        : undefined;
  return {
    title: `${item.companyName ?? 'No customer'} · ${item.reason === 'flagged' ? 'corrected to' : 'looks like'} ${item.guess}`,
    text: `${item.text.length > 280 ? `${item.text.slice(0, 279)}…` : item.text}\n(${WHY[item.reason]})`,
    buttons: [
      ...(confirm ? [confirm] : []),
      {
        label: confirm ? 'No, it is…' : 'It is…',
        command: `label ${id}`,
        choices: labels.filter((l) => l !== item.guess).map((l) => ({ label: l, command: `label ${id} ${l}` })),
      },
    ],
  };
}

/**
 * `review`: the records the model most needs a person for (see readReviewQueue), each with a
 * confirm button and a menu of the other labels. `review keep <record id>` keeps a flagged
 * correction as it is.
 */
export async function handleReview(cmd: Extract<Command, { kind: 'review' }>, h: HandlerContext): Promise<Reply> {
  if (cmd.keep) {
    if (!/^[0-9a-f-]{36}$/i.test(cmd.keep))
      throw new RapportError('invalid_input', `"${cmd.keep}" is not a record id; use the Keep button in "review".`);
    const kept = await insertKeptCorrection(h.deps.db, cmd.keep, h.audit);
    return {
      tone: kept ? 'success' : 'info',
      text: kept ? 'Kept as it is. Thanks for checking.' : 'Already kept; nothing changed.',
    };
  }
  const [queue, labels] = await Promise.all([readReviewQueue(h.deps.db), correctableLabels(h.deps.db)]);
  if (queue.items.length === 0)
    return {
      tone: 'info',
      text: 'Nothing to review: the model is sure of every recent record and no correction was flagged.',
    };
  for (const item of queue.items) if (item.companyId) h.about.add(item.companyId);
  return {
    tone: 'info',
    title: 'Help the model',
    text: `${queue.items.length + queue.more} record(s) where a click helps the classifier learn${queue.more ? ` (showing ${queue.items.length})` : ''}.`,
    sections: queue.items.map((item) => reviewSection(item, labels)),
    footer: 'Each answer is stored once and used at the next retrain.',
  };
}
