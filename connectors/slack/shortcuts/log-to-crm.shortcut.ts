import type { App, MessageShortcut } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { formatLocalDate } from '../../../src/commands/form-result.ts';
import { instantToWallClock } from '../../../src/domain/zoned-time.ts';
import { guessCustomer, type GuessedCustomer } from '../../../src/services/guess-customer.service.ts';
import { customerOption, PLAIN_TEXT_INPUT_MAX, renderLogModal } from '../render-log-modal.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import { slackRequestOf } from '../outsider-gate.ts';
import { chatSourceKey } from '../../../src/services/log-chat-message.service.ts';
import { slackTextToPlain } from '../slack-text.ts';
import { slackProfileOf, type SlackUserProfile } from '../slack-user-directory.ts';

/** callback_id of the "Log to CRM" message shortcut (manifest.json features.shortcuts). */
export const LOG_TO_CRM_SHORTCUT = 'log_to_crm';

/** Most thread replies read into the notes (one conversations.replies page). */
const MAX_REPLIES = 100;
/** Most participants whose email is looked up to guess the customer. */
const MAX_PARTICIPANTS = 10;

/**
 * "Log to CRM" on a message: opens the log modal prefilled with the message, kind chat, and the
 * channel's linked customer; then fills in its thread's replies, each after its author's name
 * (Rapport's own cards left out) and, without a link, the customer guessed from the participants' emails. Submitting logs it keyed by the message's thread
 * (slack:<team>/<channel>/<thread ts>, the auto-logger's key), so logging the same message twice, or
 * a message that was auto-logged, keeps one record.
 */
export function registerLogToCrmShortcut(app: App, deps: SlackListenerDeps): void {
  app.shortcut<MessageShortcut>(
    { callback_id: LOG_TO_CRM_SHORTCUT, type: 'message_action' },
    async ({ ack, body, client, context }) => {
      await ack();
      const channelId = body.channel.id;
      const req = slackRequestOf(context, body, { userId: body.user.id, channelId, triggerId: body.trigger_id });
      const teamId = req.teamId;
      // The same key the auto-logger gives the message's thread: logging a message that was auto-logged
      // (or auto-logging one logged by hand first) keeps one record.
      const recordThreadTs = (body.message.thread_ts as string | undefined) ?? body.message.ts;
      const db = deps.commands.db;
      const today = (now: Date, timeZone: string) => formatLocalDate(instantToWallClock(now, timeZone));
      // The trigger expires 3 seconds after the click: open the modal with what is at hand (the message,
      // the channel's linked customer), then fill in the thread and the email guess with views.update.
      const [ctx, linked] = await Promise.all([
        deps.contextFor(req),
        guessCustomer(db, { platform: 'slack', channelRef: `${teamId}/${channelId}` }),
      ]);
      const modal = (notes: string, guess: GuessedCustomer | undefined) =>
        renderLogModal({
          title: 'Log to CRM',
          state: { teamId, channelId, sourceKey: chatSourceKey('slack', `${teamId}/${channelId}`, recordThreadTs) },
          today: today(ctx.now, ctx.actor.timezone),
          kind: 'chat',
          notes: notes.slice(0, PLAIN_TEXT_INPUT_MAX),
          customer: guess ? customerOption(guess.companyName, { companyId: guess.companyId }) : undefined,
        });
      // The notes are for people to read and edit: Slack's escapes and <@U1>-style links become plain words.
      const ownText = slackTextToPlain(body.message.text ?? '');
      const own: ThreadMessage[] = [{ user: body.message.user, text: ownText }];
      const opened = await client.views.open({ trigger_id: body.trigger_id, view: modal(ownText, linked) });
      const threadTs =
        (body.message.thread_ts as string | undefined) ??
        (Number(body.message.reply_count ?? 0) > 0 ? body.message.ts : undefined);
      if (!threadTs && linked) return;
      const rapport = { botId: context.botId, botUserId: context.botUserId };
      const thread = threadTs
        ? await readThread(client, channelId, threadTs, body.message.ts, rapport, own, deps)
        : own;
      const people = await participants(client, teamId, thread, deps);
      const text = transcript(thread, people);
      const guess =
        linked ??
        (await guessCustomer(db, {
          platform: 'slack',
          emails: [...people.values()].flatMap((p) => (p.email ? [p.email] : [])),
        }));
      if (text === ownText && !guess) return;
      if (!opened.view?.id) return;
      try {
        // The hash makes Slack refuse the update if the view changed meanwhile.
        await client.views.update({
          view_id: opened.view.id,
          ...(opened.view.hash ? { hash: opened.view.hash } : {}),
          view: modal(text, guess),
        });
      } catch (err) {
        deps.logger.info(
          { err: (err as Error).message, channelId },
          'Log to CRM: could not fill in the thread and customer; the modal keeps the message alone',
        );
      }
      deps.logger.debug({ channelId, threadTs, guessed: guess?.reason ?? 'none' }, 'Log to CRM modal filled in');
    },
  );
}

/** A message of the thread: who wrote it (a Slack user id, or an app's name) and its words as people read them. */
interface ThreadMessage {
  user?: string;
  /** An app's post (a helpdesk or email bridge relaying the customer): the name it posts under. */
  appName?: string;
  text: string;
}

/**
 * The thread's messages, its parent first; the message alone when Slack cannot give the thread (no
 * history access, a deleted parent). Rapport's own posts (its cards) are left out, unless one is the
 * message clicked; other apps' posts stay, named as they post (a helpdesk relaying the customer's words).
 */
async function readThread(
  client: WebClient,
  channel: string,
  threadTs: string,
  clickedTs: string,
  rapport: { botId?: string; botUserId?: string },
  own: ThreadMessage[],
  deps: SlackListenerDeps,
): Promise<ThreadMessage[]> {
  const ours = (m: { bot_id?: string; user?: string }) =>
    (rapport.botId !== undefined && m.bot_id === rapport.botId) ||
    (rapport.botUserId !== undefined && m.user === rapport.botUserId);
  try {
    const res = await client.conversations.replies({ channel, ts: threadTs, limit: MAX_REPLIES });
    const messages = (res.messages ?? []).filter((m) => m.text && (m.ts === clickedTs || !ours(m)));
    if (messages.length === 0) return own;
    return messages.map((m) => ({
      user: m.bot_id ? undefined : m.user,
      appName: m.bot_id ? m.bot_profile?.name || undefined : undefined,
      text: slackTextToPlain(m.text!),
    }));
  } catch (err) {
    deps.logger.info(
      { err: (err as Error).message, channel },
      'Log to CRM: could not read the thread; using the message alone',
    );
    return own;
  }
}

/**
 * The notes a thread prefills: a lone message as it is; several, each after its author's name
 * ("Ana Lima: We need SAML before renewal"), so the record says who said what. A name users.info
 * cannot give (a failure, past the first MAX_PARTICIPANTS people) leaves the message unnamed.
 */
function transcript(thread: ThreadMessage[], people: Map<string, Participant>): string {
  if (thread.length === 1) return thread[0].text;
  return thread
    .map((m) => {
      const name = m.appName ?? (m.user ? people.get(m.user)?.name : undefined);
      return name ? `${name}: ${m.text}` : m.text;
    })
    .join('\n\n');
}

/** What users.info says of a participant: their name, and their email (needs users:read.email). */
interface Participant {
  name?: string;
  email?: string;
}

/**
 * The participants (the first MAX_PARTICIPANTS) by user id, from users.info through the process's
 * cache of profiles (deps.users: a thread logged twice, or people the bot met already, cost no call);
 * bots and failures are skipped.
 */
async function participants(
  client: WebClient,
  teamId: string,
  thread: ThreadMessage[],
  deps: SlackListenerDeps,
): Promise<Map<string, Participant>> {
  const users = [...new Set(thread.flatMap((m) => (m.user ? [m.user] : [])))].slice(0, MAX_PARTICIPANTS);
  const profileOf = (user: string): Promise<SlackUserProfile | undefined> =>
    deps.users
      ? deps.users.get(teamId, user)
      : client.users.info({ user }).then(
          (res) => (res.user ? slackProfileOf(res.user) : undefined),
          (err: Error) => {
            deps.logger.info({ err: err.message, user }, 'Log to CRM: users.info failed');
            return undefined;
          },
        );
  const profiles = await Promise.all(users.map(profileOf));
  const out = new Map<string, Participant>();
  users.forEach((user, i) => {
    const profile = profiles[i];
    if (!profile || profile.isBot) return;
    out.set(user, { name: profile.name, email: profile.email });
  });
  return out;
}
