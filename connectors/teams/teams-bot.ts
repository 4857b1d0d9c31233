import { findFollowUpIdByMessageRef } from '../../src/db/follow-up.repository.ts';
import {
  MessageFactory,
  TeamsActivityHandler,
  TurnContext,
  type Activity,
  type CloudAdapter,
  type ConversationParameters,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type MessagingExtensionAction,
  type MessagingExtensionActionResponse,
} from 'botbuilder';
import { randomUUID } from 'node:crypto';
import { AuthenticationConstants } from 'botframework-connector';
import { platformMessageKey } from '../../src/domain/platform-message-key.ts';
import type { BusinessHours } from '../../src/domain/business-hours.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import type { CommandContext } from '../../src/commands/command-context.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import { isValidTimezone } from '../../src/config/env.ts';
import { buildFollowUpCard } from '../../src/notifications/follow-up-card.notification.ts';
import { RapportError, userMessage } from '../../src/errors.ts';
import { cardActivity, type TeamsConnector } from './teams.connector.ts';
import { commandFromActionData, RAPPORT_VERB, renderAdaptiveCard } from './render-card.ts';
import {
  forgetConversationReference,
  markTeamRosterChanged,
  saveConversationReference,
} from './conversation-references.ts';
import { LOG_TO_CRM_COMMAND_ID, openLogToCrm, submitLogToCrm } from './log-to-crm.action.ts';
import { teamsChannelRef } from './teams-channel-ref.ts';
import { htmlToPlainText } from './teams-html-text.ts';
import { withRetries } from '../../src/concurrency/retry.ts';
import { directCopyFollowUp } from './conversation-references.ts';
import type { TeamsAutoLogger } from './teams-auto-logger.ts';
import { formatMessageRef } from '../../src/domain/follow-up.ts';
import type { TeamsStanding } from './teams-standing.ts';
import { outsiderRefusal } from '../../src/domain/roles.ts';
import { rememberDirectPost, takeBackFromSharedPlace } from '../../src/services/shared-place.service.ts';

/** How long a stored reference is trusted before a message stores it again (Teams may move a conversation's service URL). */
const REFERENCE_REFRESH_MS = 10 * 60_000;

export interface TeamsBotDeps {
  /** Runs a command of the shared grammar (app/chat.component.ts commandRunner). */
  executeCommand: (text: string, ctx: CommandContext) => Promise<Reply>;
  db: Database;
  /** The pipeline, for forms that write through services directly ("Log to CRM"). */
  hooks: PipelineHooks;
  /** RAPPORT_BUSINESS_HOURS/DAYS: the log form reads a picked day at their opening time, as typed commands do. Default 09:00 Mon-Fri. */
  businessHours?: BusinessHours;
  /** RAPPORT_TIMEZONE, for users whose client does not send its timezone. */
  timezone: string;
  /** RAPPORT_INTERNAL_DOMAINS: who is ours when a logged message's author is decided ("Log to CRM"). */
  internalDomains?: string[];
  logger: Logger;
  /** Logs messages of linked channels and chats that are not addressed to the bot. */
  autoLogger: TeamsAutoLogger;
  /** The posting side: who is in a conversation (audience) before an answer with CRM data goes there. */
  connector: TeamsConnector;
  /** MICROSOFT_APP_ID ('' in Emulator mode), for opening the rep's 1:1 chat. */
  appId: string;
  /** MICROSOFT_APP_TENANT_ID: our tenant; a member of any other tenant is never ours (never the conversation's tenant). */
  tenantId?: string;
  /** Who the activity's author is (member, guest, other tenant, unverified): outsiders run nothing (teams-standing.ts). */
  standingOf(context: TurnContext): Promise<TeamsStanding>;
  /**
   * People joined or left a conversation or team (Teams user ids and Entra object ids): what every
   * process of the deployment remembers of them (the member cache) is dropped. Absent = nothing cached.
   */
  membersChanged?(ids: string[]): Promise<void>;
}

/** Waits before the retries of an auto-logged message whose write failed, ms (Teams waits for the answer). */
export const TEAMS_AUTO_LOG_RETRY_DELAYS_MS = [250, 1_000, 3_000] as const;

/**
 * Rapport in Teams: a message (with the @mention removed) runs as a command and is answered with a
 * card; a card button (Action.Execute invoke, or Action.Submit message) runs its command as the
 * clicker and updates the clicked card in place; installation and conversation updates store the
 * ConversationReference so reminders can be posted there later.
 */
export class TeamsBot extends TeamsActivityHandler {
  /** When this process last stored each conversation's reference ("<conversation>|<serviceUrl>"). */
  private readonly remembered = new Map<string, number>();

  constructor(private readonly deps: TeamsBotDeps) {
    super();
    // Before anything else (storing the reference, a welcome card, a command, a form): see onTurnActivity.
    this.onMessage(async (context, next) => {
      // Another tenant's conversation (only ever logged, see onTurnActivity) is not a place to post to.
      if (!this.fromOtherTenant(context.activity)) await this.remember(context);
      const submitted = commandFromActionData(context.activity.value);
      if (submitted) await this.onSubmit(context, submitted);
      else if (addressedToBot(context.activity)) await this.onCommandText(context);
      else this.logResult(context, await this.autoLog(context, () => this.deps.autoLogger.logged(context)));
      await next();
    });
    this.onTeamsMessageEditEvent(async (context, next) => {
      this.logResult(context, await this.autoLog(context, () => this.deps.autoLogger.edited(context)));
      await next();
    });
    this.onTeamsMessageSoftDeleteEvent(async (context, next) => {
      this.logResult(context, await this.autoLog(context, () => this.deps.autoLogger.deleted(context)));
      await next();
    });
    this.onTeamsMessageUndeleteEvent(async (context, next) => {
      // Teams sends the restored message whole: logged again (it was removed on delete).
      this.logResult(context, await this.autoLog(context, () => this.deps.autoLogger.logged(context)));
      await next();
    });
    this.onConversationUpdate(async (context, next) => {
      // Members came or went (or the channel changed): every process reads the roster again before
      // trusting it with an internal post (the stamp travels in the stored reference).
      const at = new Date().toISOString();
      // Whoever joined or left (back as a guest, removed) is asked about again, in every process.
      const bot = context.activity.recipient?.id;
      const people = [...(context.activity.membersAdded ?? []), ...(context.activity.membersRemoved ?? [])].filter(
        (m) => m.id !== bot,
      );
      const ids = people.flatMap((m) => [m.id, m.aadObjectId ?? '']).filter((id) => id !== '');
      if (ids.length > 0) await this.deps.membersChanged?.([...new Set(ids)]);
      await this.remember(context, true, at);
      const teamId = teamIdOf(context.activity);
      const stamped = teamId ? await markTeamRosterChanged(this.deps.db, teamId, at) : [];
      const conversations = [teamsChannelRef(context.activity.conversation.id), ...stamped];
      this.deps.connector.forgetAudience(conversations);
      if ((context.activity.membersAdded ?? []).some((m) => m.id !== bot))
        await this.takeBackIfShared([...new Set(conversations)]);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      // The app was installed here (the bot itself joined): say what Rapport does and how to start.
      const bot = context.activity.recipient?.id;
      if (bot && (context.activity.membersAdded ?? []).some((m) => m.id === bot))
        try {
          await this.postHere(context, cardActivity(welcomeCard()));
        } catch (err) {
          this.deps.logger.warn(
            { err, conversationId: context.activity.conversation.id },
            'Teams: welcome card not sent',
          );
        }
      await next();
    });
    this.onInstallationUpdate(async (context, next) => {
      if (context.activity.action !== 'remove' && context.activity.action !== 'remove-upgrade')
        await this.remember(context, true);
      else {
        const forgotten = await forgetConversationReference(
          this.deps.db,
          context.activity.conversation.id,
          teamIdOf(context.activity),
        );
        for (const key of this.remembered.keys())
          if (forgotten.some((id) => key.startsWith(`${id}|`))) this.remembered.delete(key);
      }
      await next();
    });
  }

  /**
   * Every turn starts here. An activity from a tenant other than ours (MICROSOFT_APP_TENANT_ID: anyone
   * may install an app with our bot id in their own tenant and write to it) runs nothing and stores
   * nothing: a command gets the outsider's sentence, every invoke (a card click, "Log to CRM", a search,
   * a dialog) a 403 with it, anything else is ignored with a log line.
   * Only conversation goes on (messages not addressed to the bot, their edits and deletions): it is
   * logged when the conversation is linked to a customer, its author decided by their own tenant.
   */
  protected override async onTurnActivity(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (!this.fromOtherTenant(a)) return super.onTurnActivity(context);
    const conversationOnly =
      a.type === 'messageUpdate' ||
      a.type === 'messageDelete' ||
      (a.type === 'message' && !commandFromActionData(a.value) && !addressedToBot(a));
    if (conversationOnly) return super.onTurnActivity(context);
    this.deps.logger.warn(
      {
        tenantId: activityTenant(a) ?? null,
        type: a.type,
        name: a.name,
        conversationId: a.conversation?.id,
        from: a.from?.id,
      },
      'Teams: activity from another tenant than MICROSOFT_APP_TENANT_ID refused',
    );
    const refusal = outsiderRefusal('external');
    // Every invoke (card button, message action, search, dialog) is answered at once with 403 Forbidden,
    // never a 200 Teams could take for success; the body, in the invoke's own shape where it has one,
    // carries the sentence and names nothing.
    if (a.type === 'invoke')
      await context.sendActivity({
        type: 'invokeResponse',
        value: { status: 403, body: forbiddenBody(a.name, refusal) },
      });
    else if (a.type === 'message') await context.sendActivity(MessageFactory.text(refusal));
  }

  /**
   * Someone joined (a conversationUpdate with membersAdded; a team-level one reaches every channel of the
   * team): each of these conversations whose roster now has a guest, an anonymous user or another
   * tenant's member gets back nothing of what Rapport posted there (takeBackFromSharedPlace). A roster
   * Teams does not give is left to the last-step guard, which takes the posts back at the next post
   * there if the conversation has outsiders. Never throws (the activity is answered anyway).
   */
  private async takeBackIfShared(conversationIds: readonly string[]): Promise<void> {
    for (const id of conversationIds) {
      const target = `teams:${id}`;
      try {
        if ((await this.deps.connector.audience(target)) === 'external')
          await takeBackFromSharedPlace(this.deps.db, this.deps.hooks, target, this.deps.logger);
      } catch (err) {
        this.deps.logger.error(
          { target, err: (err as Error).message },
          'Teams: could not take back the posts of a conversation shared with outsiders; the next post there tries again',
        );
      }
    }
  }

  /** Whether MICROSOFT_APP_TENANT_ID is set and the activity names another tenant, or none (fail closed). */
  private fromOtherTenant(a: Partial<Activity>): boolean {
    return this.deps.tenantId !== undefined && activityTenant(a) !== this.deps.tenantId;
  }

  /**
   * Action.Execute. A click on a follow-up's posted card changes the follow-up, and the pipeline
   * updates that card in place for everyone (once: the refresh delivery); the invoke response then
   * only tells the clicker what happened (`application/vnd.microsoft.activity.message`), so the card
   * is not replaced twice. A click on a card the pipeline does not update (the assignee's 1:1 copy of
   * a reminder, a command's answer) gets the card that replaces it in the response.
   */
  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const command =
      invokeValue.action.verb === RAPPORT_VERB ? commandFromActionData(invokeValue.action.data) : undefined;
    if (!command) return invokeError(400, 'This button does not belong to Rapport.');
    const reply = await this.runCommand(context, command);
    // The card stays as it was; Teams shows the sentence.
    if (reply.tone === 'error') return invokeError(errorStatus(reply), reply.text);
    if (await this.postedFollowUpId(context)) return invokeMessage(reply.text);
    const card = (await this.copiedFollowUpCard(context)) ?? reply;
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: renderAdaptiveCard(card) };
  }

  /** "Log to CRM" on a message: the log form in a task module. */
  protected override async handleTeamsMessagingExtensionFetchTask(
    context: TurnContext,
    action: MessagingExtensionAction,
  ): Promise<MessagingExtensionActionResponse> {
    if (action.commandId !== LOG_TO_CRM_COMMAND_ID)
      return { task: { type: 'message', value: `Rapport has no message action "${action.commandId}".` } };
    const ctx = await this.commandContext(context);
    // A guest or another tenant's member sees no form (it would show which customer the chat is linked to).
    if (ctx.actor.standing !== 'member')
      return { task: { type: 'message', value: outsiderRefusal(ctx.actor.standing) } };
    return openLogToCrm(context, action, ctx, this.deps);
  }

  /** The log form submitted: logged (the task module closes with what was logged) or shown again with its errors. */
  protected override async handleTeamsMessagingExtensionSubmitAction(
    context: TurnContext,
    action: MessagingExtensionAction,
  ): Promise<MessagingExtensionActionResponse> {
    if (action.commandId !== LOG_TO_CRM_COMMAND_ID)
      return { task: { type: 'message', value: `Rapport has no message action "${action.commandId}".` } };
    const ctx = await this.commandContext(context);
    // As for the form itself, before anything is looked up: a near miss would name customers.
    if (ctx.actor.standing !== 'member')
      return { task: { type: 'message', value: outsiderRefusal(ctx.actor.standing) } };
    return submitLogToCrm(context, action, ctx, this.deps);
  }

  private async onCommandText(context: TurnContext): Promise<void> {
    const text = commandText(TurnContext.removeRecipientMention(context.activity) ?? '');
    if (!text) return;
    await this.answer(context, await this.runCommand(context, text));
  }

  /**
   * Action.Submit (older clients): run the command. A follow-up's posted card is updated by the
   * pipeline (once); a 1:1 copy is updated here; anything else is answered with a new card.
   */
  private async onSubmit(context: TurnContext, command: string): Promise<void> {
    const reply = await this.runCommand(context, command);
    if (reply.tone !== 'error' && (await this.postedFollowUpId(context))) return;
    const copy = reply.tone === 'error' ? undefined : await this.copiedFollowUpCard(context);
    if (copy && context.activity.replyToId)
      await context.updateActivity({ ...cardActivity(copy), id: context.activity.replyToId });
    else await this.answer(context, reply);
  }

  /**
   * Answers the asker. Teams has no "only you can see this" message, so an answer meant for the
   * asker alone (every reply but the few marked `channel`) typed in a channel or group chat goes to
   * the asker's 1:1 chat with the bot unless the conversation's roster is ours only; the
   * conversation gets one line saying where the answer went. Fails closed: a roster Teams cannot
   * read counts as shared. An answer shown in a channel or group chat is recorded (postHere): a guest
   * added later finds it taken back.
   */
  private async answer(context: TurnContext, reply: Reply): Promise<void> {
    const a = context.activity;
    const type = a.conversation.conversationType;
    if (!type || type === 'personal' || reply.visibility === 'channel') {
      await this.postHere(context, cardActivity(reply), reply.about);
      return;
    }
    const audience = await this.deps.connector.audience(`teams:${teamsChannelRef(a.conversation.id)}`);
    if (audience === 'internal') {
      await this.postHere(context, cardActivity(reply), reply.about);
      return;
    }
    const why =
      audience === 'external'
        ? 'people outside the company can read this conversation'
        : 'I could not check who can read this conversation';
    let notice: string;
    try {
      await this.sendPrivately(context, reply);
      notice = `I sent you the answer in your chat with Rapport: ${why}.`;
    } catch (err) {
      this.deps.logger.warn({ err, conversationId: a.conversation.id }, 'Teams: could not open the 1:1 chat');
      notice = `I could not reach you in a private chat, and ${why}, so the answer is not shown here: open a chat with Rapport and ask there.`;
    }
    await context.sendActivity(MessageFactory.text(notice));
  }

  /**
   * Sends a card in the activity's conversation. In a channel or group chat (a guest or another tenant's
   * member may be added later, and reads its history) the message is recorded with its activity id
   * (rememberDirectPost), so that it is taken back then like the pipeline's cards, and with the
   * customers it names (`about`, Reply.about) so that erasing one of them takes it back; a 1:1 chat
   * needs none.
   */
  private async postHere(context: TurnContext, activity: Partial<Activity>, about?: string[]): Promise<void> {
    const sent = await context.sendActivity(activity);
    const { conversation } = context.activity;
    const type = conversation.conversationType;
    if (sent?.id && type && type !== 'personal')
      await rememberDirectPost(
        this.deps.db,
        { target: `teams:${conversation.id}`, externalId: sent.id, about },
        this.deps.logger,
        this.deps.hooks,
      );
  }

  /** Posts a reply in the 1:1 chat of the activity's author with the bot (Teams hands back the existing chat). */
  private async sendPrivately(context: TurnContext, reply: Reply): Promise<void> {
    const a = context.activity;
    const tenantId = (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? a.conversation.tenantId;
    const adapter = context.adapter as CloudAdapter;
    await adapter.createConversationAsync(
      this.deps.appId,
      a.channelId,
      a.serviceUrl,
      AuthenticationConstants.ToChannelFromBotOAuthScope,
      {
        isGroup: false,
        bot: a.recipient,
        members: [{ id: a.from.id, name: a.from.name }],
        tenantId,
        channelData: tenantId ? { tenant: { id: tenantId } } : undefined,
      } as ConversationParameters,
      async (chat) => {
        // Not a reply to the made-up "create" activity: a new message in the chat.
        const { activityId: _made, ...reference } = TurnContext.getConversationReference(chat.activity);
        await chat.adapter.sendActivities(chat, [
          TurnContext.applyConversationReference(cardActivity(reply), reference),
        ]);
      },
    );
  }

  private async runCommand(context: TurnContext, text: string): Promise<Reply> {
    const a = context.activity;
    try {
      const ctx = await this.commandContext(context);
      return await this.deps.executeCommand(text, ctx);
    } catch (err) {
      this.deps.logger.error({ err, activityId: a.id }, 'Teams command failed');
      return { tone: 'error', text: userMessage(err) };
    }
  }

  /** Who acts (and their standing: outsiders run nothing), where and when, for a command or form from this activity. */
  private async commandContext(context: TurnContext): Promise<CommandContext> {
    const a = context.activity;
    const channelRef = teamsChannelRef(a.conversation.id);
    const { standing, email } = await this.deps.standingOf(context);
    return {
      actor: {
        platform: 'teams',
        platformUserId: a.from.aadObjectId ?? a.from.id,
        displayName: a.from.name,
        ...(email ? { email } : {}),
        timezone: this.timezoneOf(context),
        standing,
      },
      channel: { platform: 'teams', channelRef, target: `teams:${channelRef}` },
      now: new Date(),
      // Teams re-sends an activity it got no answer for with the same id: the same key never logs twice.
      // Activity ids are per-conversation timestamps, so the key names the conversation too: two reps'
      // commands with one id in two chats are two commands.
      requestKey: platformMessageKey('teams', channelRef, a.id ?? randomUUID()),
    };
  }

  /**
   * The follow-up whose card (FollowUp.messageRef) the clicked message is: posted in the channel, or
   * in a reply chain of it (a grouped suggestion, whose ref names the chain).
   */
  private async postedFollowUpId(context: TurnContext): Promise<string | undefined> {
    const { replyToId, conversation } = context.activity;
    if (!replyToId) return undefined;
    const refs = [...new Set([teamsChannelRef(conversation.id), conversation.id])].map((id) =>
      formatMessageRef(`teams:${id}`, replyToId),
    );
    return findFollowUpIdByMessageRef(this.deps.db.prisma, refs);
  }

  /** The follow-up card a clicked private copy (a reminder in the assignee's 1:1 chat) shows, in its current state. */
  private async copiedFollowUpCard(context: TurnContext): Promise<Reply | undefined> {
    const { replyToId, conversation } = context.activity;
    if (!replyToId || conversation.conversationType !== 'personal') return undefined;
    const followUpId = await directCopyFollowUp(this.deps.db, replyToId);
    return followUpId ? buildFollowUpCard(this.deps.db, followUpId, 'refresh', this.timezoneOf(context)) : undefined;
  }

  /**
   * Auto-logging a channel message (or its edit or deletion) while Teams waits for the answer: a failure
   * that is not a decision (a lost database connection, a failover) is tried again within the request
   * (TEAMS_AUTO_LOG_RETRY_DELAYS_MS, well inside Teams' 15 s); logging is idempotent by the message key.
   * One that stays goes to the turn error handler, which answers 500 so Teams may deliver it again.
   */
  private autoLog<T>(context: TurnContext, work: () => Promise<T>): Promise<T> {
    return withRetries(work, {
      delaysMs: TEAMS_AUTO_LOG_RETRY_DELAYS_MS,
      retryable: (err) => !(err instanceof RapportError),
      onRetry: (err, retry, delayMs) =>
        this.deps.logger.warn(
          {
            err: (err as Error).message,
            activityId: context.activity.id,
            conversationId: context.activity.conversation.id,
            retry,
            delayMs,
          },
          'Teams message could not be auto-logged yet; trying again',
        ),
    });
  }

  private logResult(context: TurnContext, result: Awaited<ReturnType<TeamsAutoLogger['logged']>>): void {
    this.deps.logger.debug(
      { activityId: context.activity.id, conversationId: context.activity.conversation.id, ...result },
      'Teams auto-log',
    );
  }

  private timezoneOf(context: TurnContext): string {
    const tz = context.activity.localTimezone;
    return tz && isValidTimezone(tz) ? tz : this.deps.timezone;
  }

  /**
   * Stores the conversation's reference. With RSC every message of a channel reaches the bot, so a
   * reference already stored by this process with the same service URL is not written again for
   * {@link REFERENCE_REFRESH_MS}; installation and conversation updates always write.
   */
  private async remember(context: TurnContext, force = false, rosterChangedAt?: string): Promise<void> {
    const a = context.activity;
    const key = `${teamsChannelRef(a.conversation.id)}|${a.serviceUrl}`;
    const storedAt = this.remembered.get(key);
    if (!force && storedAt !== undefined && Date.now() - storedAt < REFERENCE_REFRESH_MS) return;
    await saveConversationReference(this.deps.db, TurnContext.getConversationReference(a), {
      teamsTeamId: teamIdOf(a),
      teamsAadGroupId: teamGroupIdOf(a),
      teamsTenantId: (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id,
      rosterChangedAt,
    });
    if (this.remembered.size >= 10_000) this.remembered.clear();
    this.remembered.set(key, Date.now());
  }
}

/**
 * A message is a command when it is written to the bot: in its personal chat (or the Emulator, which
 * sends no conversation type), or with an @mention of the bot in a channel or group chat. With the
 * RSC permissions of the app package the bot also receives every other message there: those are
 * conversation, logged when the conversation is linked.
 */
export function addressedToBot(a: Partial<Activity>): boolean {
  const type = a.conversation?.conversationType;
  if (!type || type === 'personal') return true;
  return (a.entities ?? []).some(
    (e) => e.type === 'mention' && (e as { mentioned?: { id?: string } }).mentioned?.id === a.recipient?.id,
  );
}

/** The tenant an activity comes from, as Teams names it (channelData.tenant.id, else conversation.tenantId). */
export function activityTenant(a: Partial<Activity>): string | undefined {
  const id = (a.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id ?? a.conversation?.tenantId;
  return typeof id === 'string' && id ? id : undefined;
}

/** The team a channel activity comes from (channelData.team.id); none in chats. */
export function teamIdOf(a: Partial<Activity>): string | undefined {
  const id = (a.channelData as { team?: { id?: unknown } } | undefined)?.team?.id;
  return typeof id === 'string' && id ? id : undefined;
}

/** The team's Microsoft 365 group id (channelData.team.aadGroupId), when Teams sends it. */
function teamGroupIdOf(a: Partial<Activity>): string | undefined {
  const id = (a.channelData as { team?: { aadGroupId?: unknown } } | undefined)?.team?.aadGroupId;
  return typeof id === 'string' && id ? id : undefined;
}

/**
 * A Universal Actions error (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards):
 * `application/vnd.microsoft.error` with `{ code, message }`; Teams leaves the card as it was and shows the message.
 */
function invokeError(statusCode: 400 | 500, text: string): AdaptiveCardInvokeResponse {
  return {
    statusCode,
    type: 'application/vnd.microsoft.error',
    value: { code: statusCode === 400 ? 'BadRequest' : 'InternalError', message: text },
  };
}

/** What a refused invoke's 403 carries: the error in the shape its invoke answers with, else Bot Framework's error. */
function forbiddenBody(name: string | undefined, text: string): unknown {
  if (name === 'adaptiveCard/action')
    return { statusCode: 403, type: 'application/vnd.microsoft.error', value: { code: 'Forbidden', message: text } };
  if (name === 'composeExtension/fetchTask' || name === 'composeExtension/submitAction' || name?.startsWith('task/'))
    return { task: { type: 'message', value: text } };
  return { error: { code: 'Forbidden', message: text } };
}

/**
 * A Universal Actions message response: Teams leaves the card as it is and shows the text. Its `value`
 * is the string itself (the SDK types every value as an object).
 */
function invokeMessage(text: string): AdaptiveCardInvokeResponse {
  return {
    statusCode: 200,
    type: 'application/vnd.microsoft.activity.message',
    value: text as unknown as Record<string, unknown>,
  };
}

/** A failed command: our fault or a dependency's (500), else the request as sent cannot succeed (400). */
function errorStatus(reply: Reply): 400 | 500 {
  return reply.errorCode === 'unknown' || reply.errorCode === 'unavailable' || reply.errorCode === 'temporary'
    ? 500
    : 400;
}

/** What a team or person sees when they add Rapport. */
function welcomeCard(): Reply {
  return {
    title: 'Welcome to Rapport',
    text: 'Rapport keeps your customer conversations on record and reminds you to follow up. Write to me here (in a channel, @mention me): log a conversation, look a customer up, see your follow-ups. "Log to CRM" on any message (⋯ → Apps) logs it.',
    fields: [
      { label: 'Log', value: 'log acme "Called Jo, wants a quote by Friday"' },
      { label: 'Look up', value: 'lookup acme' },
      { label: 'Follow-ups', value: 'followups' },
    ],
    buttons: [
      { label: 'Help', command: 'help' },
      { label: 'My follow-ups', command: 'followups mine' },
    ],
    visibility: 'channel',
  };
}

/**
 * The command a rep typed, as they see it. A message with formatting (a bold word, a link, a client
 * that puts &nbsp; after the mention) comes as HTML: its quotes as &quot;, "&" as &amp;, other people's
 * mentions as <at> tags. Parsed as it came, `log acme &quot;...&quot;` was not understood, or the note
 * kept the markup.
 */
export function commandText(typed: string): string {
  return (/<\/?[a-z][^>]*>|&(#x?[0-9a-f]+|[a-z]+);/i.test(typed) ? htmlToPlainText(typed) : typed).trim();
}
