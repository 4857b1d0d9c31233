import { findLastActorRepId } from '../db/audit-log.repository.ts';
import { findRep } from '../db/rep.repository.ts';
import { confidenceWord } from '../classifier/confidence-words.ts';
import type { Database } from '../db/database.ts';
import type { Reply, ReplyButton } from '../commands/reply-model.ts';
import { followUpButtons } from '../commands/follow-up-view.ts';
import { formatInZone } from '../domain/zoned-time.ts';
import { readFollowUpCard, type FollowUpCardData } from '../db/follow-up-card.repository.ts';
import { isOverdue } from '../domain/follow-up.ts';

/**
 * Why a follow-up card is being posted; decides its heading and buttons. `refresh` updates the posted
 * message in place and keeps the heading it was posted with (FollowUp.messagePurpose).
 */
export type FollowUpCardPurpose = 'suggestion' | 'reminder' | 'escalation' | 'refresh';

/** Labels a rep can switch a suggestion to with "Change label". */
export const CORRECTABLE_LABELS = ['need', 'feedback', 'issue', 'purchase', 'churn', 'scheduling', 'other'];

/**
 * The card for a follow-up in its current state: a suggestion (Accept / Change due / Dismiss /
 * Change label), a reminder or escalation (Done / Snooze / Reassign), or once closed, what happened
 * and who did it (no buttons). Returns undefined when the follow-up no longer exists (erased).
 */
export async function buildFollowUpCard(
  db: Database,
  followUpId: string,
  purpose: FollowUpCardPurpose,
  timeZone: string,
  now = new Date(),
): Promise<Reply | undefined> {
  const f = await readFollowUpCard(db.sql, followUpId);
  return f ? renderFollowUpCard(db, f, purpose, timeZone, now) : undefined;
}

/**
 * The card for follow-up data already loaded (see readFollowUpCard); reads the database again only
 * for a closed follow-up, to say who closed it.
 */
export async function renderFollowUpCard(
  db: Database,
  f: FollowUpCardData,
  purpose: FollowUpCardPurpose,
  timeZone: string,
  now = new Date(),
): Promise<Reply> {
  const customer = f.companyName ?? 'unknown customer';
  const due = formatInZone(f.dueAt, timeZone);
  const excerpt = f.record?.latestText ?? f.record?.subject ?? '';
  const label = f.classification ? (f.classification.correctedLabel ?? f.classification.label) : undefined;
  const fields = [
    { label: 'Customer', value: customer },
    { label: 'Due', value: due + (isOverdue(f, now) ? ' (overdue)' : ''), at: f.dueAt.toISOString() },
    { label: 'Priority', value: f.priority },
    { label: 'Assignee', value: f.assignee?.name ?? 'nobody' },
  ];
  if (label)
    fields.push({
      label: 'Label',
      value: `${label}${f.classification?.correctedLabel ? ' (corrected)' : ` (${confidenceWord(f.classification?.confidence ?? 0)})`}`,
    });

  if (f.status === 'done' || f.status === 'dismissed') {
    const by = await lastActor(db, f.id);
    const when = formatInZone(f.completedAt ?? f.updatedAt, timeZone);
    return {
      title: `#${f.number} ${f.title}`,
      text: `${f.status === 'done' ? 'Done' : 'Dismissed'}: #${f.number} ${f.title} (${customer})`,
      fields: fields.filter((x) => x.label !== 'Due'),
      footer: `${f.status === 'done' ? 'Marked done' : 'Dismissed'}${by ? ` by ${by}` : ''} at ${when}`,
      tone: 'success',
      visibility: 'channel',
    };
  }

  const buttons: ReplyButton[] = followUpButtons(f);
  if (f.status === 'suggested') {
    buttons.splice(1, 0, {
      label: 'Change due',
      command: `due ${f.number}`,
      input: { placeholder: 'e.g. friday 14:00, in 3 days' },
    });
    if (f.record) {
      buttons.push({
        label: 'Change label',
        command: `label ${f.record.id}`,
        choices: CORRECTABLE_LABELS.filter((l) => l !== label).map((l) => ({
          label: l,
          command: `label ${f.record!.id} ${l}`,
        })),
      });
    }
  }
  const shown = shownPurpose(f, purpose, now);
  const heading =
    f.status === 'suggested'
      ? `Suggested follow-up for ${customer}`
      : shown === 'escalation'
        ? `Overdue follow-up for ${customer}`
        : shown === 'reminder'
          ? `Reminder: follow up with ${customer}`
          : `Follow-up for ${customer}`;
  // Reminders and escalations call on the assignee; connectors turn "@name" into a real mention.
  const mentioned = (shown === 'escalation' || shown === 'reminder') && f.assignee ? f.assignee : undefined;
  const mention = mentioned ? ` @${mentioned.name}` : '';
  return {
    title: heading,
    text: `${heading}: #${f.number} ${f.title}, due ${due}.${mention}${excerpt ? `\n> ${excerpt.slice(0, 300)}` : ''}`,
    fields,
    sections: [{ title: `#${f.number} ${f.title}`, text: f.reason ?? (excerpt ? excerpt.slice(0, 300) : undefined) }],
    buttons,
    tone: shown === 'escalation' ? 'warning' : 'info',
    visibility: 'channel',
    footer: f.status === 'snoozed' ? `Snoozed until ${due}` : undefined,
    ...(mentioned ? { mentions: [{ name: mentioned.name, platformUserIds: mentioned.platformUserIds }] } : {}),
  };
}

/**
 * The purpose a card is shown with: a refresh keeps the one its message was posted with, and an
 * overdue notice whose follow-up was snoozed or moved (no longer overdue) reads as a reminder again.
 */
function shownPurpose(f: FollowUpCardData, purpose: FollowUpCardPurpose, now: Date): FollowUpCardPurpose {
  const posted = purpose === 'refresh' ? ((f.messagePurpose as FollowUpCardPurpose | null) ?? 'refresh') : purpose;
  return posted === 'escalation' && !isOverdue(f, now) ? 'reminder' : posted;
}

async function lastActor(db: Database, followUpId: string): Promise<string | undefined> {
  const repId = await findLastActorRepId(db.prisma, followUpId);
  if (!repId) return undefined;
  return (await findRep(db.prisma, repId))?.name;
}
