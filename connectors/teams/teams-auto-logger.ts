import { findChannelLink } from '../../src/db/channel-link.repository.ts';
import { TeamsInfo, type Activity, type TeamsChannelAccount, type TurnContext } from 'botbuilder';
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
import { platformUserKey } from '../../src/services/reps.service.ts';
import { decideHeldMessages, type AuthorDecision } from '../../src/services/held-chat-messages.service.ts';
import { teamsAuthorDecision, type TeamsAuthorSeen, type TeamsHeldAuthorLookup } from './teams-held-authors.ts';
import { htmlToPlainText, looksLikeHtml } from './teams-html-text.ts';
import { teamsChannelRef, teamsThreadId } from './teams-channel-ref.ts';
import type { TeamsMemberCache } from './teams-member-cache.ts';

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
  /** MICROSOFT_APP_TENANT_ID: our tenant; a member of any other tenant is never ours (never the conversation's tenant). */
  tenantId?: string;
  /** The process's member records (an hour), shared with the standing check: one getMember call per author per hour. */
  members: TeamsMemberCache;
  logger: Logger;
}

/** Authors with held messages this process remembers before it starts over (the queue still asks about them). */
const HELD_MAX = 5_000;

/**
 * Logs the messages of Teams channels and group chats linked to a customer, with the same rules as
 * Slack: a channel thread is one record (its root message id is the thread key; a chat message
 * without a thread starts its own), an edit (messageUpdate/editMessage) updates the logged message,
 * a deletion (messageDelete/softDeleteMessage) removes it, bots are skipped, and an activity Teams
 * re-sends with the same id is one message. Members of another tenant, guests and anonymous users
 * are the customer's side (inbound; a contact of the customer their email domain names, or of none);
 * our members are reps (outbound). When Teams cannot say who the author is, the message is held as
 * `unknown` (kept, not classified, nobody's contact) and decided when a later lookup succeeds: the
 * queued held-author job (jobs/decide-held-author.job.ts, which survives a restart) or the author's
 * next message.
 * Messages addressed to the bot (personal chat, @mention) are commands and never come here.
 */
export class TeamsAutoLogger {
  /** Authors this process held messages of ("<channel>|<user id>"): their next found lookup decides them. */
  private readonly held = new Set<string>();

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

    const authorId = a.from.aadObjectId ?? a.from.id;
    const lookup = await this.member(context);
    const body = teamsMessageBody(a);
    const threadKey = teamsThreadId(a.conversation.id) ?? a.id;
    const seen = authorSeen(a);
    const author =
      lookup.status === 'found' ? await teamsAuthorDecision(this.deps, lookup.member, seen, companyId) : undefined;
    const outcome = await logChatMessage(
      this.deps.db,
      {
        platform: 'teams',
        channelRef,
        threadKey,
        messageKey: a.id,
        author: { platformUserId: authorId, name: a.from.name, email: author?.email, isBot: false },
        // Never the customer's words by default: an author Teams cannot name now is held as unknown
        // (not classified, no contact) and decided when a lookup succeeds.
        direction: author?.direction ?? 'unknown',
        repId: author?.direction === 'outbound' ? author.repId : undefined,
        contactCompanyId: author?.direction === 'inbound' ? author.contactCompanyId : undefined,
        contactNote: author?.direction === 'inbound' ? author.contactNote : undefined,
        text: body.text,
        sentAt: a.timestamp ? new Date(a.timestamp) : new Date(),
        companyId,
        metadata: {
          teams: {
            conversationId: channelRef,
            messageId: a.id,
            ...(threadKey !== a.id ? { threadId: threadKey } : {}),
            ...(body.html !== undefined ? { html: body.html } : {}),
          },
          ...(author
            ? {}
            : {
                heldBecause: 'Teams could not say who wrote this message yet.',
                heldAuthor: { channelRef, ...seen } satisfies TeamsHeldAuthorLookup,
              }),
        },
      },
      this.deps.hooks,
    );
    const heldKey = `${channelRef}|${a.from.id}`;
    if (author && ((lookup.status === 'found' && lookup.fresh) || this.held.has(heldKey))) {
      // Read from Teams just now (once an hour per author): anything held of theirs is decided.
      this.held.delete(heldKey);
      await this.decideHeld(channelRef, authorId, author);
    } else if (!author) {
      if (this.held.size >= HELD_MAX) this.held.clear();
      this.held.add(heldKey);
      // Asked again through the queue, so a restart of this process loses nothing.
      await this.deps.hooks.authorHeld?.({
        platform: 'teams',
        channelRef,
        authorKey: platformUserKey('teams', authorId),
      });
    }
    return { action: 'log', outcome };
  }

  /** messageUpdate / editMessage: the logged message takes the new text. */
  async edited(context: TurnContext): Promise<TeamsAutoLogResult> {
    const a = context.activity;
    if (!a.id) return { action: 'ignored', reason: 'no-id' };
    if (isBot(a)) return { action: 'ignored', reason: 'bot' };
    const body = teamsMessageBody(a);
    const outcome = await editChatMessage(
      this.deps.db,
      {
        platform: 'teams',
        channelRef: teamsChannelRef(a.conversation.id),
        messageKey: a.id,
        text: body.text,
        metadataPatch: { teams: { html: body.html ?? null } },
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
    const outcome = await deleteChatMessage(
      this.deps.db,
      { platform: 'teams', channelRef: teamsChannelRef(a.conversation.id), messageKey: a.id },
      this.deps.hooks,
    );
    return { action: 'delete', outcome };
  }

  private async linkedCompany(channelRef: string): Promise<string | undefined> {
    const link = await findChannelLink(this.deps.db.prisma, { platform: 'teams', channelRef });
    return link?.autoLog && link.companyId ? link.companyId : undefined;
  }

  /**
   * The author as Teams' roster knows them (email, tenant, role). Found members are remembered for an
   * hour (the process's member cache, which the standing check fills too); a failed lookup is not
   * remembered at all (one 503 must not decide who someone is for an hour): the next message, or the
   * retry, asks again.
   */
  private async member(context: TurnContext): Promise<MemberLookup> {
    const a = context.activity;
    const hit = this.deps.members.fresh(a);
    if (hit) return { status: 'found', member: hit, fresh: false };
    try {
      const member = await TeamsInfo.getMember(context, a.from.id);
      this.deps.members.remember(a, member);
      return { status: 'found', member, fresh: true };
    } catch (err) {
      this.deps.logger.info(
        { err: (err as Error).message, conversationId: a.conversation.id },
        'Teams auto-log: could not read the author from the roster; the message is held until Teams can say who wrote it',
      );
      return { status: 'failed' };
    }
  }

  /** Messages of this author held while Teams could not name them: decided now. */
  private async decideHeld(channelRef: string, authorId: string, decision: AuthorDecision): Promise<void> {
    const decided = await decideHeldMessages(
      this.deps.db,
      { platform: 'teams', channelRef, authorKey: platformUserKey('teams', authorId), decision },
      this.deps.hooks,
    );
    if (decided > 0)
      this.deps.logger.info(
        { channelRef, decided, direction: decision.direction },
        'Teams auto-log: held messages decided',
      );
  }

  /** Forgets the held authors this process remembers (process shutdown); the queue still asks about them. */
  stop(): void {
    this.held.clear();
  }
}

type MemberLookup = { status: 'found'; member: TeamsChannelAccount; fresh: boolean } | { status: 'failed' };

/** The author of an activity, as the decision (and a later held-author job) needs them. */
function authorSeen(a: Partial<Activity>): TeamsAuthorSeen {
  const tenantId = (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation?.tenantId;
  // Only fields Teams sent: this is stored as JSON on a held message.
  return {
    memberId: a.from?.id ?? '',
    ...(a.from?.aadObjectId ? { aadObjectId: a.from.aadObjectId } : {}),
    ...(a.from?.name ? { name: a.from.name } : {}),
    ...(tenantId ? { tenantId } : {}),
    ...(a.localTimezone ? { localTimezone: a.localTimezone } : {}),
  };
}

/** Bots (ours included, should Teams echo it) have 28: ids or the bot role. */
function isBot(a: Partial<Activity>): boolean {
  return a.from?.role === 'bot' || (a.from?.id ?? '').startsWith('28:');
}

/**
 * What a Teams message says: plain text (HTML -> text, `<at>` mentions as the names they show) for
 * the record, lookups and the classifier, and the HTML as Teams sent it (kept in metadata), when the
 * body was HTML: the text/html attachment, or a text that carries markup.
 */
export function teamsMessageBody(a: Partial<Activity>): { text: string; html?: string } {
  const attached = a.attachments?.find((x) => x.contentType === 'text/html' && typeof x.content === 'string')
    ?.content as string | undefined;
  const raw = a.text ?? '';
  const html =
    attached ??
    (looksLikeHtml(raw, a.textFormat) || /<\/?(at|p|div|br|span|b|i|a|strong|em)\b/i.test(raw) ? raw : undefined);
  return html === undefined ? { text: raw.trim() } : { text: htmlToPlainText(html), html };
}
