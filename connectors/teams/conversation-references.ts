import type { ConversationReference } from 'botbuilder';
import type { Database } from '../../src/db/database.ts';
import { teamsChannelRef } from './teams-channel-ref.ts';

/**
 * Stores where Teams told us the bot lives (installation, conversation update, any message), so that
 * reminders and digests can be posted there later without a user turn. One ChannelLink row per
 * conversation; a link to a customer made with `link` is kept.
 */
export async function saveConversationReference(
  db: Database,
  reference: Partial<ConversationReference>,
): Promise<void> {
  if (!reference.conversation?.id) return;
  // Stored for the channel, not the thread a message came from: later posts start new threads.
  const conversationId = teamsChannelRef(reference.conversation.id);
  // The id of the activity that brought the reference would turn later posts into replies to it.
  const { activityId: _activityId, ...rest } = reference;
  const stored = { ...rest, conversation: { ...reference.conversation, id: conversationId } };
  const conversationRef = JSON.parse(JSON.stringify(stored)) as object;
  await db.prisma.channelLink.upsert({
    where: { platform_channelRef: { platform: 'teams', channelRef: conversationId } },
    create: { platform: 'teams', channelRef: conversationId, companyId: null, conversationRef },
    update: { conversationRef },
  });
}

/** The stored reference for a conversation id, or undefined when Teams never told us about it. */
export async function loadConversationReference(
  db: Database,
  conversationId: string,
): Promise<Partial<ConversationReference> | undefined> {
  const link = await db.prisma.channelLink.findUnique({
    where: { platform_channelRef: { platform: 'teams', channelRef: conversationId } },
    select: { conversationRef: true },
  });
  const ref = link?.conversationRef as Partial<ConversationReference> | null | undefined;
  return ref?.conversation?.id && ref.serviceUrl ? ref : undefined;
}

/**
 * The app was removed from the conversation: its reference is useless (Teams answers 403 there) and is
 * forgotten. A link to a customer made with `link` stays, so `link` need not be typed again if the app
 * comes back (Teams then sends a new reference).
 */
export async function forgetConversationReference(db: Database, activityConversationId: string): Promise<void> {
  const conversationId = teamsChannelRef(activityConversationId);
  const where = { platform_channelRef: { platform: 'teams' as const, channelRef: conversationId } };
  const link = await db.prisma.channelLink.findUnique({ where, select: { companyId: true } });
  if (!link) return;
  if (link.companyId === null) await db.prisma.channelLink.delete({ where });
  // SQL NULL (Prisma's DbNull lives in the generated client, which only src/db imports).
  else
    await db.sql.query(
      `UPDATE "ChannelLink" SET "conversationRef" = NULL, "updatedAt" = now() WHERE platform = 'teams' AND "channelRef" = $1`,
      [conversationId],
    );
}
