import type { Database } from '../db/database.ts';
import { normalizeEmail } from '../domain/normalize-company-name.ts';
import { writeAudit } from './audit.service.ts';
import { contactFor, chatSourceKey, type ChatPlatform } from './log-chat-message.service.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';

/** Who a held message's author turned out to be. */
export type AuthorDecision =
  | { direction: 'outbound'; repId: string; email?: string }
  | {
      direction: 'inbound';
      email?: string;
      name?: string;
      /** Whose contact they become: the customer their email domain names, or none (null). */
      contactCompanyId: string | null;
      contactNote?: string;
    };

/**
 * Decides the messages held as `unknown` (logged while the platform could not say who wrote them)
 * of one author in one channel, now that a lookup said who they are: our rep's words become
 * outbound (never classified, never a contact), a customer's become inbound with their contact and
 * are queued for classification, as if they had been known from the start.
 * @returns how many messages were decided.
 */
export async function decideHeldMessages(
  db: Database,
  input: { platform: ChatPlatform; channelRef: string; authorKey: string; decision: AuthorDecision },
  hooks: PipelineHooks,
): Promise<number> {
  const held = await db.prisma.message.findMany({
    where: {
      direction: 'unknown',
      metadata: { path: ['author'], equals: input.authorKey },
      record: { sourceKey: { startsWith: chatSourceKey(input.platform, input.channelRef, '') } },
    },
    select: { id: true, recordId: true, authorName: true, metadata: true },
    orderBy: { sentAt: 'asc' },
  });
  if (held.length === 0) return 0;
  const d = input.decision;
  const email = d.email ? normalizeEmail(d.email) : undefined;
  const decided: Array<{ id: string; recordId: string }> = [];
  for (const m of held) {
    const metadata = { ...((m.metadata ?? {}) as Record<string, unknown>) };
    delete metadata.heldBecause;
    if (d.direction === 'inbound' && d.contactNote) metadata.contactNote = d.contactNote;
    const contactId =
      d.direction === 'inbound'
        ? await contactFor(db, d.contactCompanyId, input.authorKey, d.name ?? m.authorName ?? undefined, email)
        : null;
    // Only a message still held is decided: two lookups racing decide it once.
    const changed = await db.prisma.message.updateMany({
      where: { id: m.id, direction: 'unknown' },
      data: { direction: d.direction, contactId, authorEmail: email ?? null, metadata: metadata as object },
    });
    if (changed.count === 0) continue;
    if (d.direction === 'outbound')
      await db.prisma.communicationRecord.updateMany({
        where: { id: m.recordId, loggedByRepId: null },
        data: { loggedByRepId: d.repId },
      });
    await writeAudit(db.prisma, {
      action: 'message.author_decided',
      subject: m.recordId,
      details: { messageId: m.id, direction: d.direction, platform: input.platform },
    });
    decided.push({ id: m.id, recordId: m.recordId });
  }
  // The job queued when it was logged ran already (and skipped it as held): a job of its own now.
  if (d.direction === 'inbound')
    for (const m of decided)
      if (hooks.messageEdited) await hooks.messageEdited(m.recordId, m.id, new Date());
      else await hooks.recordLogged(m.recordId, m.id);
  return decided.length;
}
