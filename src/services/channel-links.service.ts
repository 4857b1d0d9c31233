import type { ChannelLink } from '../db/generated/client.ts';
import type { ChannelRef } from '../commands/command-context.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';

/** The target string connectors post to for a link: "<platform>:<channelRef>". */
export function linkTarget(link: Pick<ChannelLink, 'platform' | 'channelRef'>): string {
  return `${link.platform}:${link.channelRef}`;
}

/** Where reminders about a customer go: its most recently linked channel, if any. */
export async function reminderTargetFor(prisma: PrismaExecutor, companyId: string): Promise<string | undefined> {
  const link = await prisma.channelLink.findFirst({ where: { companyId }, orderBy: { updatedAt: 'desc' } });
  return link ? linkTarget(link) : undefined;
}

/**
 * Binds a channel to a customer: conversations there are auto-logged to it and its reminders go there.
 * Re-linking a channel moves it to the new customer.
 */
export async function linkChannel(prisma: PrismaExecutor, channel: ChannelRef, companyId: string, actor: AuditActor): Promise<{ link: ChannelLink; previousCompanyId: string | null }> {
  const before = await prisma.channelLink.findUnique({ where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } } });
  const link = await prisma.channelLink.upsert({
    where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } },
    create: { platform: channel.platform, channelRef: channel.channelRef, companyId, createdBy: actor.repId },
    update: { companyId },
  });
  await writeAudit(prisma, { action: 'channel.link', actor, subject: link.id, details: { companyId, previousCompanyId: before?.companyId ?? null } });
  return { link, previousCompanyId: before?.companyId ?? null };
}

/**
 * Removes the channel's binding.
 * @throws RapportError not_found when the channel is not linked.
 */
export async function unlinkChannel(prisma: PrismaExecutor, channel: ChannelRef, actor: AuditActor): Promise<{ companyId: string | null }> {
  const link = await prisma.channelLink.findUnique({ where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } } });
  if (!link) throw new RapportError('not_found', 'This channel is not linked to a customer. Use "link <customer>" to link it.');
  await prisma.channelLink.delete({ where: { id: link.id } });
  await writeAudit(prisma, { action: 'channel.unlink', actor, subject: link.id, details: { companyId: link.companyId } });
  return { companyId: link.companyId };
}
