import {
  clearConversationRef,
  deleteChannelLink,
  findConversationRef,
  findTeamsLinksOf,
  storeConversationRef,
} from '../../src/db/channel-link.repository.ts';
import type { ConversationReference } from 'botbuilder';
import type { Database } from '../../src/db/database.ts';
import {
  findDirectCopyFollowUpId,
  findNewestConversationRef,
  findPersonalConversationRef,
  stampTeamRosterChanged,
  stripStoredConversationAuthors,
} from '../../src/db/teams-conversation-ref.repository.ts';
import { teamsChannelRef } from './teams-channel-ref.ts';

/** Fields Rapport adds to a stored ConversationReference (conversation-references.ts). */
export interface StoredReferenceExtras {
  /** channelData.team.id of a channel: the app removed from the team forgets every channel of it. */
  teamsTeamId?: string;
  /** channelData.team.aadGroupId: the team's Microsoft 365 group, which Microsoft Graph addresses the team by. */
  teamsAadGroupId?: string;
  /** channelData.tenant.id of the conversation. */
  teamsTenantId?: string;
  /** When Teams last said the conversation's members changed (conversationUpdate): a cached roster older than this is stale. */
  rosterChangedAt?: string;
}

/**
 * Stores where Teams told us the bot lives (installation, conversation update, any message), so that
 * reminders and digests can be posted there later without a user turn. One ChannelLink row per
 * conversation; a link to a customer made with `link` is kept.
 */
export async function saveConversationReference(
  db: Database,
  reference: Partial<ConversationReference>,
  extras: StoredReferenceExtras = {},
): Promise<void> {
  if (!reference.conversation?.id) return;
  // Stored for the channel, not the thread a message came from: later posts start new threads.
  const conversationId = teamsChannelRef(reference.conversation.id);
  // The id of the activity that brought the reference would turn later posts into replies to it.
  const { activityId: _activityId, ...rest } = withoutAuthor(reference);
  const stored = {
    ...rest,
    conversation: { ...reference.conversation, id: conversationId },
    ...Object.fromEntries(Object.entries(extras).filter(([, v]) => v !== undefined)),
  };
  const conversationRef = JSON.parse(JSON.stringify(stored)) as Record<string, unknown>;
  await storeConversationRef(db.prisma, { platform: 'teams', channelRef: conversationId }, conversationRef);
}

/**
 * The reference without the person who last spoke (getConversationReference puts the activity's author
 * in `user`, name and Entra id included): a channel's or group chat's row must not point at whoever
 * wrote there last, and would outlive their erasure. Proactive posts do not need it
 * (continueConversationAsync reads serviceUrl, conversation and bot; `user` only becomes the
 * recipient of a message to a conversation, which Teams does not read). A 1:1 chat keeps its one
 * person's ids (no name), which is how it is found again for them (loadPersonalReference).
 */
export function withoutAuthor<R extends Partial<ConversationReference>>(reference: R): R {
  const { user, ...rest } = reference;
  if (reference.conversation?.conversationType !== 'personal' || !user?.id) return rest as R;
  return { ...rest, user: { id: user.id, ...(user.aadObjectId ? { aadObjectId: user.aadObjectId } : {}) } } as R;
}

/** The stored reference for a conversation id, or undefined when Teams never told us about it. */
export async function loadConversationReference(
  db: Database,
  conversationId: string,
): Promise<Partial<ConversationReference> | undefined> {
  const ref = (await findConversationRef(db.prisma, {
    platform: 'teams',
    channelRef: conversationId,
  })) as Partial<ConversationReference> | null;
  return ref?.conversation?.id && ref.serviceUrl ? withoutAuthor(ref) : undefined;
}

/**
 * The app was removed from the conversation (or from the whole team: every channel of it whose
 * reference names the team): those references are useless (Teams answers 403 there) and are
 * forgotten. A link to a customer made with `link` stays, so `link` need not be typed again if the
 * app comes back (Teams then sends a new reference).
 * @returns the conversation ids forgotten.
 */
export async function forgetConversationReference(
  db: Database,
  activityConversationId: string,
  teamId?: string,
): Promise<string[]> {
  const conversationId = teamsChannelRef(activityConversationId);
  const links = await findTeamsLinksOf(db.prisma, conversationId, teamId);
  for (const link of links) {
    if (link.companyId === null) await deleteChannelLink(db.prisma, link.id);
    else await clearConversationRef(db.sql, link.id);
  }
  return links.map((l) => l.channelRef);
}

/**
 * Teams said a team's members changed (conversationUpdate with channelData.team): every channel of the
 * team shares that roster, so every stored reference of the team is stamped and its cached audience
 * is read again by whichever process posts next. Returns the stamped conversation ids.
 */
export function markTeamRosterChanged(db: Database, teamId: string, at: string): Promise<string[]> {
  return stampTeamRosterChanged(db.sql, teamId, at);
}

/**
 * The stored 1:1 chat between the bot and a person (Teams user id "29:…" or Microsoft Entra object
 * id), the newest first; undefined when Teams never told us about one.
 */
export async function loadPersonalReference(
  db: Database,
  userId: string,
): Promise<Partial<ConversationReference> | undefined> {
  const ref = (await findPersonalConversationRef(db.sql, userId)) as Partial<ConversationReference> | undefined;
  return ref?.conversation?.id && ref.serviceUrl ? ref : undefined;
}

/**
 * The newest stored reference of a channel or group chat (of `tenantId` when given): its service URL,
 * tenant and bot account are what opening a new 1:1 chat with one of that tenant's people needs.
 */
export async function loadAnyReference(
  db: Database,
  tenantId?: string,
): Promise<Partial<ConversationReference> | undefined> {
  const ref = (await findNewestConversationRef(db.sql, tenantId)) as Partial<ConversationReference> | undefined;
  return ref ? withoutAuthor(ref) : undefined;
}

/**
 * The follow-up a private copy (a reminder sent to the assignee's 1:1 chat, `teams:@<user>`) was
 * posted for, by the posted activity's id; undefined for any other message.
 */
export function directCopyFollowUp(db: Database, activityId: string): Promise<string | undefined> {
  return findDirectCopyFollowUpId(db.sql, activityId);
}

/** How often a process serving Teams strips authors that a process of an older release stored again. */
export const STRIP_AUTHORS_EVERY_MS = 3_600_000;

/**
 * Strips the last author from stored references now and every {@link STRIP_AUTHORS_EVERY_MS} (a process
 * of the release before, still running during a rolling deploy, stores them again); returns the stopper.
 * A failure is logged; the next round tries again.
 */
export function keepReferencesWithoutAuthors(
  db: Database,
  logger: { warn(obj: object, msg: string): void },
): () => void {
  const strip = () =>
    stripStoredConversationAuthors(db.sql).catch((err: Error) =>
      logger.warn({ err: err.message }, 'could not strip authors from stored Teams references; trying again later'),
    );
  void strip();
  const timer = setInterval(() => void strip(), STRIP_AUTHORS_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
