/**
 * What a follow-up is, in one place: its states, which of them still need someone, when it is overdue,
 * and the reference to the chat message that shows it. Services, jobs, cards and commands ask here
 * instead of spelling the states out.
 */

/** Every state, in the order a follow-up usually goes through them. Mirrors the `FollowUpStatus` enum. */
export const FOLLOW_UP_STATUSES = ['suggested', 'open', 'snoozed', 'done', 'dismissed'] as const;
export type FollowUpState = (typeof FOLLOW_UP_STATUSES)[number];

/** Accepted and not finished: reminders fire, escalation and digests count it, `followups` lists it. */
export const OPEN_STATUSES = ['open', 'snoozed'] as const satisfies readonly FollowUpState[];

/** Still waiting for someone: open ones and suggestions nobody accepted or dismissed yet. */
export const ACTIVE_STATUSES = ['suggested', 'open', 'snoozed'] as const satisfies readonly FollowUpState[];

export function isOpen(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

/** Open (or snoozed) and its due time has passed. */
export function isOverdue(f: { status: string; dueAt: Date }, now: Date): boolean {
  return isOpen(f.status) && f.dueAt.getTime() < now.getTime();
}

/** FollowUp.messageRef is "<target>|<platform message id>": the post that shows it, to update in place. */
export function formatMessageRef(target: string, externalId: string): string {
  return `${target}|${externalId}`;
}

export function parseMessageRef(ref: string): { target: string; externalId: string } {
  const at = ref.lastIndexOf('|');
  return { target: ref.slice(0, at), externalId: ref.slice(at + 1) };
}
