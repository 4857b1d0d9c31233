import { expect } from 'vitest';
import { eventually } from './pipeline-harness.ts';
import type { RecordedCall, SlackRecorder } from './slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents, slashCommandBody } from './slack-requests.ts';
import { SLACK_TEST_SECRET } from './slack-test-bot.ts';

let commands = 0;

/**
 * `/crm <text>` as Slack sends it (signed, form-encoded) from `userId` of `teamId` in `channelId`;
 * resolves to the answer: the call to the command's response_url (ephemeral), or the bot's post in that
 * channel for answers everyone should see (link, unlink); with `ephemeral`, only the former (a card the
 * pipeline posts in that channel meanwhile is then never taken for the answer).
 */
export async function slackSlashCommand(
  bot: { url: string; slack: SlackRecorder; secret?: string },
  opts: { teamId: string; channelId: string; userId: string; text: string; ephemeral?: boolean },
): Promise<RecordedCall> {
  const { slack } = bot;
  const triggerId = `trigger-cmd-${++commands}`;
  const posts = slack.callsTo('chat.postMessage').length;
  const res = await postSignedToSlackEvents(
    bot.url,
    bot.secret ?? SLACK_TEST_SECRET,
    slashCommandBody({
      teamId: opts.teamId,
      channelId: opts.channelId,
      userId: opts.userId,
      text: opts.text,
      triggerId,
      responseUrl: slack.responseUrl(`cmd-${triggerId}`),
    }),
    'application/x-www-form-urlencoded',
  );
  expect(res.status).toBe(200);
  return eventually(
    `the answer to /crm ${opts.text} by ${opts.userId}`,
    async () =>
      slack.callsTo(`respond/cmd-${triggerId}`)[0] ??
      (opts.ephemeral
        ? undefined
        : slack
            .callsTo('chat.postMessage')
            .slice(posts)
            .find((c) => c.body.channel === opts.channelId)),
  );
}

let events = 0;

/**
 * A Slack workspace talking to a test bot: `command` is `/crm` as slackSlashCommand sends it (its answer
 * taken from the response_url alone in `cardChannel`, where the pipeline posts cards meanwhile), and
 * `message` posts a signed channel `message` event (event_callback) with an event id of its own.
 * `bot` is read at each call (tests start their bot in beforeAll).
 */
export function slackWorkspace(bot: () => { url: string; slack: SlackRecorder }, teamId: string, cardChannel: string) {
  return {
    command: (channelId: string, userId: string, text: string) =>
      slackSlashCommand(bot(), { teamId, channelId, userId, text, ephemeral: channelId === cardChannel }),
    async message(event: Record<string, unknown>): Promise<void> {
      const body = eventCallbackBody(
        teamId,
        { type: 'message', channel_type: 'channel', team: teamId, ...event },
        `EvWs${++events}`,
      );
      const res = await postSignedToSlackEvents(bot().url, SLACK_TEST_SECRET, body, 'application/json');
      expect(res.status).toBe(200);
    },
  };
}
