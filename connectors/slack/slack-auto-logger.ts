import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import {
  deleteChatMessage,
  editChatMessage,
  logChatMessage,
  type ChatLogOutcome,
  type ChatChangeOutcome,
} from '../../src/services/log-chat-message.service.ts';
import { findOrCreateRep, platformUserKey } from '../../src/services/reps.service.ts';
import { decideHeldMessages, type AuthorDecision } from '../../src/services/held-chat-messages.service.ts';
import { slackAuthorDecision, type SlackHeldAuthorLookup } from './slack-held-authors.ts';
import type { SlackChannelRouter } from './slack-channel-router.ts';
import type { SlackUserDirectory } from './slack-user-directory.ts';
import { USER_CACHE_MS } from './slack-user-directory.ts';
import { mentionedUserIds, slackTextToPlain } from './slack-text.ts';
import type { SlackWorkLimiter } from './slack-work-limiter.ts';

/** The fields of a Slack `message` event (any subtype) that auto-logging reads. */
export interface SlackMessageEvent {
  type: 'message';
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  /** The author's workspace (another one for a Slack Connect member). */
  team?: string;
  user_team?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  event_ts?: string;
  hidden?: boolean;
  files?: Array<{ id?: string; name?: string; title?: string }>;
  /** message_changed: the message as it is now. */
  message?: SlackMessageEvent & { edited?: { user?: string; ts?: string } };
  /** message_deleted: the ts of the deleted message. */
  deleted_ts?: string;
}

/** What happened to one event, for logs and tests. */
export type AutoLogResult =
  | { action: 'ignored'; reason: 'subtype' | 'bot' | 'not-a-channel' | 'not-auto-logged' | 'no-author' }
  | { action: 'log'; outcome: ChatLogOutcome }
  | { action: 'edit' | 'delete'; outcome: ChatChangeOutcome };

/** Subtypes that are a person's words: plain, also-sent-to-channel thread replies, messages with files. */
const LOGGED_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);
/** message.channels and message.groups; DMs with the bot are commands, not customer conversations. */
const LOGGED_CHANNEL_TYPES = new Set([undefined, 'channel', 'group']);

export interface SlackAutoLoggerDeps {
  db: Database;
  /** Read at each use: the pipeline sets the hooks after the connector is built. */
  hooks(): PipelineHooks;
  router: SlackChannelRouter;
  users: SlackUserDirectory;
  /** RAPPORT_TIMEZONE, for reps Slack gives no timezone for. */
  defaultTimezone: string;
  logger: Logger;
  /** Shares the component's bound on work after acks (commands and messages alike). Default: unbounded. */
  limiter?: SlackWorkLimiter;
}

/** Most authors remembered as held in this process (a hint only: the database says what is held). */
const HELD_HINTS_MAX = 5_000;

/**
 * Turns Slack `message` events into chat logs: new messages in auto-logged channels (linked to a
 * customer, or Slack Connect with a customer's org) are logged to that customer's thread record;
 * `message_changed` edits and `message_deleted` deletes what was logged; bots, joins, leaves, topic
 * changes and every other subtype are ignored. Authors from another workspace or guests are the
 * customer (inbound); members of ours are reps (outbound), matched to a Rep by their Slack email.
 * When users.info fails for an author Slack names as one of our workspace, nobody guesses: the
 * message is held as `unknown` (kept, not classified, nobody's contact) and decided by the queued
 * held-author job (jobs/decide-held-author.job.ts, which survives a restart) or by the author's next
 * message whose lookup succeeds (same path as Teams).
 */
export class SlackAutoLogger {
  private readonly reps = new Map<string, { repId: string; expiresAt: number }>();
  /** Authors this process held messages of ("<channelRef>|<team>/<user>"): their next message asks Slack afresh. */
  private readonly held = new Set<string>();

  constructor(private readonly deps: SlackAutoLoggerDeps) {}

  /** A channel's Slack Connect sharing changed: decide it afresh on its next message. */
  forgetChannel(teamId: string, channelId: string): void {
    this.deps.router.forget(teamId, channelId);
  }

  /** Handles one event delivered to workspace `teamId`; the listener has acknowledged it already. */
  async handle(teamId: string, event: SlackMessageEvent): Promise<AutoLogResult> {
    return this.deps.limiter ? this.deps.limiter.run(() => this.process(teamId, event)) : this.process(teamId, event);
  }

  private async process(teamId: string, event: SlackMessageEvent): Promise<AutoLogResult> {
    if (!LOGGED_CHANNEL_TYPES.has(event.channel_type)) return { action: 'ignored', reason: 'not-a-channel' };
    const channelRef = `${teamId}/${event.channel}`;
    if (event.subtype === 'message_deleted' && event.deleted_ts) {
      return {
        action: 'delete',
        outcome: await deleteChatMessage(
          this.deps.db,
          { platform: 'slack', channelRef, messageKey: event.deleted_ts },
          this.deps.hooks(),
        ),
      };
    }
    if (event.subtype === 'message_changed' && event.message?.ts)
      return this.edited(channelRef, event.message, event.event_ts);
    if (!LOGGED_SUBTYPES.has(event.subtype) || event.hidden) return { action: 'ignored', reason: 'subtype' };
    if (event.bot_id) return { action: 'ignored', reason: 'bot' };
    if (!event.user || !event.ts) return { action: 'ignored', reason: 'no-author' };

    const decision = await this.deps.router.decide(teamId, event.channel);
    if (!decision) return { action: 'ignored', reason: 'not-auto-logged' };

    // An author with held messages is asked about afresh: their next message may decide them.
    const heldBefore = this.held.has(`${channelRef}|${event.user_team ?? event.team ?? teamId}/${event.user}`);
    const profile = await this.deps.users.get(teamId, event.user, { skipFailureCache: heldBefore });
    if (profile?.isBot) return { action: 'ignored', reason: 'bot' };
    const authorTeam = event.user_team ?? event.team ?? profile?.teamId ?? teamId;
    const inbound = authorTeam !== teamId || profile?.isGuest === true;
    const authorId = `${authorTeam}/${event.user}`;
    // Another org's member is the customer's side whatever users.info says; one of ours (or a guest,
    // which only users.info tells) is never decided from a failed lookup.
    const held = !profile && !inbound;
    const repId =
      inbound || held ? undefined : await this.repFor(authorId, profile?.name, profile?.email, profile?.timezone);
    const text = event.text ?? '';
    const files = (event.files ?? []).map((f) => f.name ?? f.title).filter((n): n is string => !!n);
    const outcome = await logChatMessage(
      this.deps.db,
      {
        platform: 'slack',
        channelRef,
        threadKey: event.thread_ts ?? event.ts,
        messageKey: event.ts,
        author: { platformUserId: authorId, name: profile?.name, email: profile?.email, isBot: false },
        direction: held ? 'unknown' : inbound ? 'inbound' : 'outbound',
        repId,
        text,
        cleanText: slackTextToPlain(text, await this.mentionNames(teamId, text)),
        sentAt: slackTsToDate(event.ts),
        companyId: decision.companyId,
        metadata: {
          slack: {
            team: teamId,
            channel: event.channel,
            ts: event.ts,
            ...(event.thread_ts ? { threadTs: event.thread_ts } : {}),
            via: decision.via,
          },
          ...(files.length ? { files } : {}),
          ...(held
            ? {
                heldBecause: 'Slack could not say who wrote this message yet (users.info failed).',
                heldAuthor: { channelRef, team: teamId, user: event.user } satisfies SlackHeldAuthorLookup,
              }
            : {}),
        },
      },
      this.deps.hooks(),
    );
    const heldKey = `${channelRef}|${authorId}`;
    if (held) {
      if (this.held.size >= HELD_HINTS_MAX) this.held.clear();
      this.held.add(heldKey);
      // Asked again through the queue, so a restart of this process loses nothing.
      await this.deps.hooks().authorHeld?.({
        platform: 'slack',
        channelRef,
        authorKey: platformUserKey('slack', authorId),
      });
    } else if (this.held.has(heldKey) && profile) {
      this.held.delete(heldKey);
      await this.decideHeld(
        channelRef,
        authorId,
        await slackAuthorDecision(
          profile,
          teamId,
          decision.companyId,
          async () => repId ?? (await this.repFor(authorId, profile.name, profile.email, profile.timezone)),
        ),
      );
    }
    return { action: 'log', outcome };
  }

  /** Display names of the people `<@U…>` mentions in `text` (shared users.info cache; at most 10, a failure leaves the id). */
  private async mentionNames(teamId: string, text: string): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const id of mentionedUserIds(text).slice(0, 10)) {
      const name = (await this.deps.users.get(teamId, id).catch(() => undefined))?.name;
      if (name) names.set(id, name);
    }
    return names;
  }

  /** Messages of this author held while users.info failed: decided now. */
  private async decideHeld(channelRef: string, authorId: string, decision: AuthorDecision): Promise<void> {
    const decided = await decideHeldMessages(
      this.deps.db,
      { platform: 'slack', channelRef, authorKey: platformUserKey('slack', authorId), decision },
      this.deps.hooks(),
    );
    if (decided > 0)
      this.deps.logger.info(
        { channelRef, decided, direction: decision.direction },
        'Slack auto-log: held messages decided',
      );
  }

  /** Forgets the held authors this process remembers (process shutdown); the queue still asks about them. */
  stop(): void {
    this.held.clear();
  }

  private async edited(
    channelRef: string,
    message: NonNullable<SlackMessageEvent['message']>,
    eventTs: string | undefined,
  ): Promise<AutoLogResult> {
    if (message.bot_id) return { action: 'ignored', reason: 'bot' };
    // A deleted thread parent with replies stays as a "This message was deleted." tombstone.
    if (message.subtype === 'tombstone') {
      return {
        action: 'delete',
        outcome: await deleteChatMessage(
          this.deps.db,
          { platform: 'slack', channelRef, messageKey: message.ts! },
          this.deps.hooks(),
        ),
      };
    }
    const text = message.text ?? '';
    const editedTs = message.edited?.ts ?? eventTs;
    const outcome = await editChatMessage(
      this.deps.db,
      {
        platform: 'slack',
        channelRef,
        messageKey: message.ts!,
        text,
        cleanText: slackTextToPlain(text, await this.mentionNames(channelRef.split('/')[0], text)),
        editedAt: editedTs ? slackTsToDate(editedTs) : new Date(),
      },
      this.deps.hooks(),
    );
    return { action: 'edit', outcome };
  }

  /** The Rep behind one of our Slack members: by Slack id, else by their Slack email; created on first sight. Cached an hour. */
  private async repFor(
    authorId: string,
    name: string | undefined,
    email: string | undefined,
    timezone: string | undefined,
  ): Promise<string> {
    const hit = this.reps.get(authorId);
    if (hit && hit.expiresAt > Date.now()) return hit.repId;
    const rep = await findOrCreateRep(this.deps.db.prisma, {
      platform: 'slack',
      platformUserId: authorId,
      displayName: name,
      email,
      timezone: timezone ?? '',
    });
    if (this.reps.size >= 5_000) this.reps.clear();
    this.reps.set(authorId, { repId: rep.id, expiresAt: Date.now() + USER_CACHE_MS });
    return rep.id;
  }
}

/** Slack's message ts ("1700000000.000100": seconds.sequence) as the time it was sent. */
export function slackTsToDate(ts: string): Date {
  return new Date(Math.round(Number.parseFloat(ts) * 1000));
}
