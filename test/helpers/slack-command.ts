import { expect } from 'vitest';
import type { Database } from '../../src/db/database.ts';
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
  let customerMessages = 0;
  const command = (channelId: string, userId: string, text: string) =>
    slackSlashCommand(bot(), { teamId, channelId, userId, text, ephemeral: channelId === cardChannel });
  async function message(event: Record<string, unknown>): Promise<void> {
    const body = eventCallbackBody(
      teamId,
      { type: 'message', channel_type: 'channel', team: teamId, ...event },
      `EvWs${++events}`,
    );
    const res = await postSignedToSlackEvents(bot().url, SLACK_TEST_SECRET, body, 'application/json');
    expect(res.status).toBe(200);
  }
  return {
    command,
    message,
    /**
     * Customer `name` (domain `<name>.example`, created in `db`) with its own channel, linked by UADMIN
     * (an admin of ours, in that channel), and guest, whose `complaint` got a suggestion card in
     * `cardChannel`; answers the card, the guest, the channel and the complaint's ts.
     */
    async customerWithCard(db: Database, name: string, complaint: string) {
      const { slack } = bot();
      const slug = name.toLowerCase();
      const channel = `C${name.toUpperCase()}`;
      const guest = `U${name.toUpperCase()}GUEST`;
      slack.users.set(guest, { is_restricted: true, profile: { display_name: 'guest', email: `jo@${slug}.example` } });
      slack.channelMembers.set(channel, ['UBOT', 'UADMIN', guest]);
      await db.prisma.company.create({ data: { name, normalizedName: slug, domains: [`${slug}.example`] } });
      expect(String((await command(channel, 'UADMIN', `link ${slug}`)).body.text)).toMatch(/now linked to/);
      const ts = `1763940000.${String(++customerMessages).padStart(6, '0')}`;
      await message({ channel, user: guest, ts, text: complaint });
      const card = await eventually(
        'the suggestion card',
        async () =>
          slack.messages.find(
            (m) => m.channel === cardChannel && JSON.stringify(m.blocks).includes(complaint.slice(0, 20)),
          ),
        60_000,
      );
      return { card, guest, channel, ts };
    },
  };
}
