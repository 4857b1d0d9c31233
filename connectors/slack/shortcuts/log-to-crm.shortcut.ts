import type { App, MessageShortcut } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { formatLocalDate } from '../../../src/commands/form-result.ts';
import { instantToWallClock } from '../../../src/domain/zoned-time.ts';
import { guessCustomer } from '../../../src/services/guess-customer.service.ts';
import { customerOption, PLAIN_TEXT_INPUT_MAX, renderLogModal } from '../render-log-modal.ts';
import type { SlackListenerDeps } from '../slack-request.ts';

/** callback_id of the "Log to CRM" message shortcut (manifest.json features.shortcuts). */
export const LOG_TO_CRM_SHORTCUT = 'log_to_crm';

/** Most thread replies read into the notes (one conversations.replies page). */
const MAX_REPLIES = 100;
/** Most participants whose email is looked up to guess the customer. */
const MAX_PARTICIPANTS = 10;

/**
 * "Log to CRM" on a message: opens the log modal prefilled with the message (and its thread's
 * replies), kind chat, and the customer guessed from the channel's link, else from the participants'
 * email domains. Submitting logs it keyed by the message (slack:message:<team>/<channel>/<ts>), so
 * logging the same message twice keeps one record.
 */
export function registerLogToCrmShortcut(app: App, deps: SlackListenerDeps): void {
  app.shortcut<MessageShortcut>({ callback_id: LOG_TO_CRM_SHORTCUT, type: 'message_action' }, async ({ ack, body, client }) => {
    await ack();
    const teamId = body.team?.id ?? body.user.team_id ?? 'unknown';
    const channelId = body.channel.id;
    const req = { teamId, userId: body.user.id, channelId, triggerId: body.trigger_id };
    // The trigger expires 3 seconds after the click: the thread, the guess and the user's timezone are read together.
    const [ctx, thread] = await Promise.all([deps.contextFor(req), readThread(client, channelId, body.message, deps)]);
    const emails = await participantEmails(client, thread.users, deps);
    const guess = await guessCustomer(deps.commands.db, { platform: 'slack', channelRef: `${teamId}/${channelId}`, emails });
    const threadTs = (body.message.thread_ts as string | undefined) ?? body.message.ts;
    await client.views.open({
      trigger_id: body.trigger_id,
      view: renderLogModal({
        title: 'Log to CRM',
        state: { teamId, channelId, sourceKey: `slack:message:${teamId}/${channelId}/${body.message.ts}` },
        today: formatLocalDate(instantToWallClock(ctx.now, ctx.actor.timezone)),
        kind: 'chat',
        notes: thread.text.slice(0, PLAIN_TEXT_INPUT_MAX),
        customer: guess ? customerOption(guess.companyName, { companyId: guess.companyId }) : undefined,
      }),
    });
    deps.logger.debug({ channelId, threadTs, guessed: guess?.reason ?? 'none' }, 'Log to CRM modal opened');
  });
}

interface ThreadText {
  text: string;
  users: string[];
}

/**
 * The message's text, followed by its thread's replies when it starts a thread (or is a reply in
 * one), and who wrote them. Without history access the message alone is used.
 */
async function readThread(client: WebClient, channel: string, message: MessageShortcut['message'], deps: SlackListenerDeps): Promise<ThreadText> {
  const own: ThreadText = { text: message.text ?? '', users: message.user ? [message.user] : [] };
  const threadTs = (message.thread_ts as string | undefined) ?? (Number(message.reply_count ?? 0) > 0 ? message.ts : undefined);
  if (!threadTs) return own;
  try {
    const res = await client.conversations.replies({ channel, ts: threadTs, limit: MAX_REPLIES });
    const messages = (res.messages ?? []).filter((m) => m.text);
    if (messages.length === 0) return own;
    return { text: messages.map((m) => m.text!).join('\n\n'), users: [...new Set(messages.map((m) => m.user).filter((u): u is string => Boolean(u)))] };
  } catch (err) {
    deps.logger.info({ err: (err as Error).message, channel }, 'Log to CRM: could not read the thread; using the message alone');
    return own;
  }
}

/** The participants' emails from users.info (needs users:read.email); bots and failures are skipped. */
async function participantEmails(client: WebClient, users: string[], deps: SlackListenerDeps): Promise<string[]> {
  const infos = await Promise.all(
    users.slice(0, MAX_PARTICIPANTS).map((user) =>
      client.users.info({ user }).catch((err: Error) => {
        deps.logger.info({ err: err.message, user }, 'Log to CRM: users.info failed');
        return undefined;
      }),
    ),
  );
  return infos.flatMap((res) => (res?.user && !res.user.is_bot && res.user.profile?.email ? [res.user.profile.email] : []));
}
