import { TeamsInfo, type MessageActionsPayload, type TurnContext } from 'botbuilder';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import { normalizeEmail } from '../../src/domain/normalize-company-name.ts';
import { contactFor } from '../../src/services/log-chat-message.service.ts';
import type { LogCommunicationInput } from '../../src/services/log-communication.service.ts';
import { platformUserKey } from '../../src/services/reps.service.ts';
import { teamsAuthorDecision, type TeamsHeldAuthorLookup } from './teams-held-authors.ts';

/** Most attachments of one message kept on the record (names and links, never the files). */
const MAX_ATTACHMENTS = 20;

/** What "Log to CRM" keeps of the message it logs (from messagePayload). */
export interface LoggedTeamsMessage {
  id: string;
  /** from.user.id: the author's Microsoft Entra object id (absent when an app or bot wrote it). */
  authorId?: string;
  authorName?: string;
  /** createdDateTime */
  sentAt?: string;
  /** The message's own link in Teams. */
  linkToMessage?: string;
  /** The reply chain's root, when the message is a reply. */
  replyToId?: string;
  attachments: Array<{ name?: string; contentType?: string; contentUrl?: string }>;
}

/** The facts of a messagePayload (Teams' message action payload) that the record keeps. */
export function loggedTeamsMessage(payload: MessageActionsPayload | undefined): LoggedTeamsMessage | undefined {
  if (!payload?.id) return undefined;
  const user = payload.from?.user;
  return {
    id: payload.id,
    ...(user?.id ? { authorId: user.id, authorName: user.displayName } : {}),
    ...(payload.createdDateTime ? { sentAt: payload.createdDateTime } : {}),
    ...(payload.linkToMessage ? { linkToMessage: payload.linkToMessage } : {}),
    ...(payload.replyToId ? { replyToId: payload.replyToId } : {}),
    attachments: (payload.attachments ?? []).slice(0, MAX_ATTACHMENTS).map((a) => ({
      ...(a.name ? { name: a.name } : {}),
      ...(a.contentType ? { contentType: a.contentType } : {}),
      ...(a.contentUrl ? { contentUrl: a.contentUrl } : {}),
    })),
  };
}

/** The carried JSON back (the form's `rapportMessage`); undefined when absent or not ours. */
export function parseLoggedTeamsMessage(raw: unknown): LoggedTeamsMessage | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const m = JSON.parse(raw) as Partial<LoggedTeamsMessage>;
    return typeof m.id === 'string' && Array.isArray(m.attachments) ? (m as LoggedTeamsMessage) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The logged message's author as the record keeps them, with the auto-logger's who-is-who rules
 * (teamsAuthorDecision on Teams' member record): our people are outbound (a Rep), the customer's side
 * inbound (a contact of the customer their email domain names, or of none), with the message's link
 * and attachments in the metadata. When Teams cannot say who the author is, the message is kept as
 * `unknown` (not classified, nobody's contact), never as the clicker's note. Undefined for a message
 * with no person as author (an app's): then it is the rep's note.
 */
export async function messageAuthor(
  context: TurnContext,
  message: LoggedTeamsMessage,
  companyId: string | null,
  channelRef: string,
  deps: { db: Database; internalDomains: string[]; defaultTimezone: string; tenantId?: string; logger: Logger },
): Promise<LogCommunicationInput['author']> {
  const metadata: Record<string, unknown> = {
    teams: {
      conversationId: channelRef,
      messageId: message.id,
      ...(message.replyToId ? { threadId: message.replyToId } : {}),
      ...(message.linkToMessage ? { linkToMessage: message.linkToMessage } : {}),
    },
    ...(message.attachments.length ? { attachments: message.attachments } : {}),
    ...(message.authorId ? { author: platformUserKey('teams', message.authorId) } : {}),
  };
  if (!message.authorId) return undefined;
  const name = message.authorName || 'Teams user';
  const a = context.activity;
  let member: Awaited<ReturnType<typeof TeamsInfo.getMember>> | undefined;
  try {
    member = await TeamsInfo.getMember(context, message.authorId);
  } catch (err) {
    deps.logger.info(
      { err: (err as Error).message, conversationId: a.conversation.id },
      'Log to CRM: Teams could not say who wrote the message; it is kept as unknown',
    );
  }
  const tenantId = (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation.tenantId;
  if (!member) {
    // Held like an auto-logged message: the held-author job asks Teams again (getMember takes the
    // Entra object id) and decides it, so it does not stay unknown once Teams answers again.
    const heldAuthor: TeamsHeldAuthorLookup = {
      channelRef,
      memberId: message.authorId,
      aadObjectId: message.authorId,
      ...(message.authorName ? { name: message.authorName } : {}),
      ...(tenantId ? { tenantId } : {}),
    };
    return {
      name,
      direction: 'unknown',
      metadata: { ...metadata, heldBecause: 'Teams could not say who wrote this message.', heldAuthor },
    };
  }
  const decision = await teamsAuthorDecision(
    deps,
    member,
    { memberId: member.id, aadObjectId: message.authorId, name: message.authorName, tenantId },
    companyId,
  );
  if (decision.direction === 'outbound')
    return { name: member.name ?? name, email: decision.email, direction: 'outbound', metadata };
  const authorKey = platformUserKey('teams', message.authorId);
  const email = decision.email ? normalizeEmail(decision.email) : undefined;
  const contactId = await contactFor(deps.db, decision.contactCompanyId, authorKey, member.name ?? name, email);
  return {
    name: member.name ?? name,
    email,
    direction: 'inbound',
    contactId,
    metadata: { ...metadata, ...(decision.contactNote ? { contactNote: decision.contactNote } : {}) },
  };
}
