import { TeamsInfo, type TurnContext, type Activity, type TeamsChannelAccount } from 'botbuilder';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import {
  deleteChatMessage,
  editChatMessage,
  logChatMessage,
  type ChatChangeOutcome,
  type ChatLogOutcome,
} from '../../src/services/log-chat-message.service.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import { htmlToPlainText } from './teams-html-text.ts';
import { teamsChannelRef, teamsThreadId } from './teams-channel-ref.ts';

/** What happened to one activity, for logs and tests. */
export type TeamsAutoLogResult =
  | { action: 'ignored'; reason: 'personal' | 'bot' | 'not-linked' | 'no-id' }
  | { action: 'log'; outcome: ChatLogOutcome }
  | { action: 'edit' | 'delete'; outcome: ChatChangeOutcome };

export interface TeamsAutoLoggerDeps {
  db: Database;
  hooks: PipelineHooks;
  /** RAPPORT_INTERNAL_DOMAINS: authors with these email domains are ours (outbound) whatever Teams says. */
  internalDomains: string[];
  /** RAPPORT_TIMEZONE, for reps Teams gives no timezone for. */
  defaultTimezone: string;
  logger: Logger;
}

/** How long a member's email, role and tenant are remembered (one getMember call per author per hour). */
const MEMBER_CACHE_MS = 3_600_000;
const MEMBER_CACHE_MAX = 5_000;

/**
 * Logs the messages of Teams channels and group chats linked to a customer, with the same rules as
 * Slack: a channel thread is one record (its root message id is the thread key; a chat message
 * without a thread starts its own), an edit (messageUpdate/editMessage) updates the logged message,
 * a deletion (messageDelete/softDeleteMessage) removes it, bots are skipped, and an activity Teams
 * re-sends with the same id is one message. Members of another tenant, guests and anonymous users
 * are the customer (inbound); our members are reps (outbound). When Teams cannot say who the author
 * is, the message counts as the customer's, so it is classified rather than silently not.
 * Messages addressed to the bot (personal chat, @mention) are commands and never come here.
 */
export class TeamsAutoLogger {
  private readonly members = new Map<string, { member: TeamsChannelAccount | undefined; expiresAt: number }>();

  constructor(private readonly deps: TeamsAutoLoggerDeps) {}

  /** A new message (or one restored with undeleteMessage). */
  async logged(context: TurnContext): Promise<TeamsAutoLogResult> {
    const a = context.activity;
    if (a.conversation.conversationType === 'personal') return { action: 'ignored', reason: 'personal' };
    if (isBot(a)) return { action: 'ignored', reason: 'bot' };
    if (!a.id) return { action: 'ignored', reason: 'no-id' };
    const channelRef = teamsChannelRef(a.conversation.id);
    const companyId = await this.linkedCompany(channelRef);
    if (!companyId) return { action: 'ignored', reason: 'not-linked' };

    const member = await this.member(context);
    const tenantId = (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation.tenantId;
    const email = member?.email ?? (member?.userPrincipalName?.includes('@') ? member.userPrincipalName : undefined);
    const domain = email?.slice(email.lastIndexOf('@') + 1).toLowerCase();
    const ours =
      (domain !== undefined && this.deps.internalDomains.includes(domain)) ||
      (member !== undefined &&
        member.userRole !== 'guest' &&
        member.userRole !== 'anonymous' &&
        (!member.tenantId || member.tenantId === tenantId));
    const authorId = a.from.aadObjectId ?? a.from.id;
    const repId = ours
      ? (
          await findOrCreateRep(this.deps.db.prisma, {
            platform: 'teams',
            platformUserId: authorId,
            displayName: a.from.name,
            email,
            timezone: a.localTimezone ?? this.deps.defaultTimezone,
          })
        ).id
      : undefined;
    const text = messageText(a);
    const threadKey = teamsThreadId(a.conversation.id) ?? a.id;
    const outcome = await logChatMessage(
      this.deps.db,
      {
        platform: 'teams',
        channelRef,
        threadKey,
        messageKey: a.id,
        author: { platformUserId: authorId, name: a.from.name, email, isBot: false },
        direction: ours ? 'outbound' : 'inbound',
        repId,
        text,
        cleanText: htmlToPlainText(text),
        sentAt: a.timestamp ? new Date(a.timestamp) : new Date(),
        companyId,
        metadata: {
          teams: {
            conversationId: channelRef,
            messageId: a.id,
            ...(threadKey !== a.id ? { threadId: threadKey } : {}),
          },
        },
      },
      this.deps.hooks,
    );
    return { action: 'log', outcome };
  }

  /** messageUpdate / editMessage: the logged message takes the new text. */
  async edited(context: TurnContext): Promise<TeamsAutoLogResult> {
    const a = context.activity;
    if (!a.id) return { action: 'ignored', reason: 'no-id' };
    if (isBot(a)) return { action: 'ignored', reason: 'bot' };
    const text = messageText(a);
    const outcome = await editChatMessage(
      this.deps.db,
      {
        platform: 'teams',
        channelRef: teamsChannelRef(a.conversation.id),
        messageKey: a.id,
        text,
        cleanText: htmlToPlainText(text),
        editedAt: a.timestamp ? new Date(a.timestamp) : new Date(),
      },
      this.deps.hooks,
    );
    return { action: 'edit', outcome };
  }

  /** messageDelete / softDeleteMessage: the logged message goes (and its record when it was the last). */
  async deleted(context: TurnContext): Promise<TeamsAutoLogResult> {
    const a = context.activity;
    if (!a.id) return { action: 'ignored', reason: 'no-id' };
    const outcome = await deleteChatMessage(this.deps.db, {
      platform: 'teams',
      channelRef: teamsChannelRef(a.conversation.id),
      messageKey: a.id,
    });
    return { action: 'delete', outcome };
  }

  private async linkedCompany(channelRef: string): Promise<string | undefined> {
    const link = await this.deps.db.prisma.channelLink.findUnique({
      where: { platform_channelRef: { platform: 'teams', channelRef } },
      select: { companyId: true, autoLog: true },
    });
    return link?.autoLog && link.companyId ? link.companyId : undefined;
  }

  /** The author as the conversation's roster knows them (email, tenant, role); undefined when Teams does not say. */
  private async member(context: TurnContext): Promise<TeamsChannelAccount | undefined> {
    const a = context.activity;
    const key = `${teamsChannelRef(a.conversation.id)}|${a.from.id}`;
    const hit = this.members.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.member;
    let member: TeamsChannelAccount | undefined;
    try {
      member = await TeamsInfo.getMember(context, a.from.id);
    } catch (err) {
      this.deps.logger.info(
        { err: (err as Error).message, conversationId: a.conversation.id },
        'Teams auto-log: could not read the author from the roster; counting them as the customer',
      );
    }
    if (this.members.size >= MEMBER_CACHE_MAX) this.members.clear();
    this.members.set(key, { member, expiresAt: Date.now() + MEMBER_CACHE_MS });
    return member;
  }
}

/** Bots (ours included, should Teams echo it) have 28: ids or the bot role. */
function isBot(a: Partial<Activity>): boolean {
  return a.from?.role === 'bot' || (a.from?.id ?? '').startsWith('28:');
}

/** The message as Teams sent it: the HTML attachment when there is one (it keeps formatting), else the text. */
function messageText(a: Partial<Activity>): string {
  const html = a.attachments?.find((x) => x.contentType === 'text/html' && typeof x.content === 'string')?.content as
    | string
    | undefined;
  return html ?? a.text ?? '';
}
