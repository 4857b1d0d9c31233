import {
  clearChannelLinkCompany,
  deleteChannelLink,
  findChannelLink,
  upsertChannelLink,
} from '../db/channel-link.repository.ts';
import type { ChannelLink } from '../db/generated/client.ts';
import type { ChannelRef } from '../domain/channel-ref.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { teamChannelFor } from './team-channels.service.ts';

/** The target string connectors post to for a link: "<platform>:<channelRef>". */
export function linkTarget(link: Pick<ChannelLink, 'platform' | 'channelRef'>): string {
  return `${link.platform}:${link.channelRef}`;
}

/**
 * Where reminders about a customer go: its team channel, if one was chosen. Never its customer
 * channel (a link): that is where the customer reads along.
 */
export async function reminderTargetFor(prisma: PrismaExecutor, companyId: string): Promise<string | undefined> {
  return teamChannelFor(prisma, companyId);
}

/**
 * Binds a channel to a customer as its *customer channel* (a source): conversations there are
 * auto-logged to it. Cards about the customer never go there (see team-channels.service.ts).
 * Re-linking a channel moves it to the new customer.
 */
export async function linkChannel(
  prisma: PrismaExecutor,
  channel: ChannelRef,
  companyId: string,
  actor: AuditActor,
): Promise<{ link: ChannelLink; previousCompanyId: string | null }> {
  const before = await findChannelLink(prisma, channel);
  const link = await upsertChannelLink(prisma, channel, companyId, actor.repId);
  await writeAudit(prisma, {
    action: 'channel.link',
    actor,
    subject: link.id,
    details: { companyId, previousCompanyId: before?.companyId ?? null },
  });
  return { link, previousCompanyId: before?.companyId ?? null };
}

/**
 * Removes the channel's binding to its customer: nothing there is auto-logged any more and the
 * customer's reminders stop going there. A row that also holds the platform's address of the
 * conversation (Teams' ConversationReference) is kept without its customer: it is how the bot posts
 * there at all, follow-ups created in that conversation still remind there, and Teams would hand it
 * back with the next message anyway. Other rows are deleted.
 * @throws RapportError not_found when the channel is not linked.
 */
export async function unlinkChannel(
  prisma: PrismaExecutor,
  channel: ChannelRef,
  actor: AuditActor,
): Promise<{ companyId: string | null }> {
  const link = await findChannelLink(prisma, channel);
  if (!link || link.companyId === null)
    throw new RapportError('not_found', 'This channel is not linked to a customer. Use "link <customer>" to link it.');
  if (link.conversationRef !== null) await clearChannelLinkCompany(prisma, link.id);
  else await deleteChannelLink(prisma, link.id);
  await writeAudit(prisma, {
    action: 'channel.unlink',
    actor,
    subject: link.id,
    details: { companyId: link.companyId },
  });
  return { companyId: link.companyId };
}
