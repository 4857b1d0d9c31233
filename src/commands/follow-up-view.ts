import { formatInZone } from '../domain/zoned-time.ts';
import type { FollowUpWithCompany } from '../services/follow-ups.service.ts';
import type { ReplyButton, ReplySection } from './reply-model.ts';
import { isOverdue } from '../domain/follow-up.ts';

/** The buttons a follow-up offers in its current state (each runs a command as the clicker). */
export function followUpButtons(f: Pick<FollowUpWithCompany, 'number' | 'status'>): ReplyButton[] {
  const n = f.number;
  if (f.status === 'done' || f.status === 'dismissed') return [];
  const buttons: ReplyButton[] = [];
  if (f.status === 'suggested') buttons.push({ label: 'Accept', command: `accept ${n}`, style: 'primary' });
  else buttons.push({ label: 'Done', command: `done ${n}`, style: 'primary' });
  buttons.push(
    {
      label: 'Snooze',
      command: `snooze ${n}`,
      choices: [
        { label: '1 h', command: `snooze ${n} in 1 hour` },
        { label: 'Tomorrow 9:00', command: `snooze ${n} tomorrow 9:00` },
        { label: 'Next week', command: `snooze ${n} next monday 9:00` },
      ],
    },
    { label: 'Snooze until…', command: `snooze ${n}`, input: { placeholder: 'e.g. friday 14:00, in 3 days' } },
    { label: 'Reassign', command: `assign ${n}`, input: { placeholder: '@rep or email' } },
    { label: 'Dismiss', command: `dismiss ${n}`, style: 'danger' },
  );
  return buttons;
}

/** A follow-up as a reply section: "#12 Send the quote", customer, due date in the viewer's zone, state, buttons. */
export function followUpSection(f: FollowUpWithCompany, timeZone: string, now: Date): ReplySection {
  const overdue = isOverdue(f, now);
  return {
    title: `#${f.number} ${f.title}`,
    fields: [
      { label: 'Customer', value: f.company?.name ?? '—' },
      { label: 'Due', value: `${formatInZone(f.dueAt, timeZone, now)}${overdue ? ' (overdue)' : ''}` },
      { label: 'Status', value: f.status },
      { label: 'Assignee', value: f.assignee?.name ?? 'nobody' },
    ],
    buttons: followUpButtons(f),
  };
}
