import type { App, Context } from '@slack/bolt';
import { outsiderRefusal, roleOf } from '../../../src/domain/roles.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { renderBlocks } from '../render-blocks.ts';
import { slackCommandText } from '../slack-text.ts';
import type { SlackListenerDeps, SlackRequest } from '../slack-request.ts';
import { eventTeamOf } from './message.event.ts';
import { servedOf } from '../outsider-gate.ts';
import { rememberDirectPost } from '../../../src/services/shared-place.service.ts';

/** Events this file answers: `@Rapport …` in a channel; DMs arrive as `message` events with channel_type `im`. */
export const COMMAND_MESSAGE_EVENTS = ['app_mention'] as const;

/** The fields of an app_mention or message.im event read here. */
interface CommandMessageEvent {
  type: string;
  user?: string;
  /** The author's own workspace (another one in a Slack Connect channel). */
  user_team?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  subtype?: string;
  bot_id?: string;
}

/**
 * `<@UBOT> lookup <mailto:jo@acme.com|jo@acme.com>` → `lookup jo@acme.com`: the leading mention(s) of the
 * bot are not part of the command, and the rest is read as typed ({@link slackCommandText}).
 */
export function commandTextOf(text: string, botUserId: string | undefined): string {
  const lead = botUserId
    ? new RegExp(`^\\s*<@${botUserId}(?:\\|[^>]*)?>[\\s:,]*`)
    : /^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s:,]*/;
  return slackCommandText(text.replace(lead, ''));
}

/**
 * `@Rapport <command>` in a channel and direct messages to Rapport run as commands of the shared grammar,
 * as Teams does: the same context as `/crm` (the author's timezone and standing), keyed by the message
 * (`slack:<team>:event:<channel>/<ts>`) so an event Slack delivers again writes nothing twice. Outsiders
 * (guests, other organisations, people Slack cannot vouch for) get the outsider gate's sentence and
 * nothing runs. A DM is answered in the DM. A mention is answered in its thread where only the company
 * reads the channel (the last-step guard's answer), and that answer is recorded with the customers it
 * names so that it is taken back if the channel becomes shared later or one of them is erased; elsewhere
 * only the author sees it (ephemeral).
 */
export function registerCommandMessages(app: App, deps: SlackListenerDeps): void {
  const answer = async (e: CommandMessageEvent, teamId: string, context: Context) => {
    if (!e.user || e.bot_id || e.subtype || e.user === context.botUserId) return;
    const text = commandTextOf(e.text ?? '', context.botUserId);
    const req: SlackRequest = {
      teamId,
      // Absent outside shared channels: then users.info's profile alone says whose member the author is.
      userTeamId: e.user_team,
      // The served org (auth.test with one bot token), never the payload's: in a Slack Connect channel
      // an event's enterprise_id may be the author's org.
      enterpriseId: servedOf(context).enterpriseId,
      userId: e.user,
      channelId: e.channel,
      triggerId: `event:${e.channel}/${e.ts}`,
    };
    const direct = e.channel_type === 'im';
    const client = await deps.clientFor(teamId);
    const ctx = await deps.contextFor(req);
    let reply: Reply;
    const outsider = roleOf(ctx.actor, deps.commands.admins ?? []) === 'outsider';
    if (outsider) {
      deps.logger.info(
        { team: teamId, userTeam: req.userTeamId, user: e.user, standing: ctx.actor.standing, type: e.type },
        'Slack request from outside the company refused',
      );
      reply = { tone: 'error', text: outsiderRefusal(ctx.actor.standing) };
    } else reply = await deps.run(text || 'help', ctx);

    if (direct) {
      await client.chat.postMessage({ channel: e.channel, ...renderBlocks(reply, { teamId }), unfurl_links: false });
      return;
    }
    const thread = e.thread_ts ?? e.ts;
    // Asked in the open, answered in the open: in the mention's thread where only the company reads.
    const shared = !outsider && (await deps.connector.audience(`slack:${teamId}/${e.channel}`)) === 'internal';
    if (shared) {
      const posted = await client.chat.postMessage({
        channel: e.channel,
        thread_ts: thread,
        ...renderBlocks(reply, { teamId }),
        unfurl_links: false,
      });
      if (posted.ts)
        await rememberDirectPost(
          deps.commands.db,
          { target: `slack:${teamId}/${e.channel}/${thread}`, externalId: posted.ts, about: reply.about },
          deps.logger,
          deps.commands.hooks,
        );
    } else
      await client.chat.postEphemeral({
        channel: e.channel,
        user: e.user,
        thread_ts: thread,
        ...renderBlocks(reply, { teamId }),
      });
  };
  const safely = async (e: CommandMessageEvent, body: unknown, context: Context) => {
    const teamId = eventTeamOf(context, body as Parameters<typeof eventTeamOf>[1]);
    if (!teamId) return;
    try {
      await answer(e, teamId, context);
    } catch (err) {
      deps.logger.error(
        { err: (err as Error).message, team: teamId, channel: e.channel, ts: e.ts, type: e.type },
        'Slack mention or direct message could not be answered',
      );
    }
  };

  app.event('app_mention', async ({ event, body, context }) => {
    await safely(event as unknown as CommandMessageEvent, body, context);
  });
  app.event('message', async ({ event, body, context }) => {
    const e = event as unknown as CommandMessageEvent;
    if (e.channel_type === 'im') await safely(e, body, context);
  });
}
