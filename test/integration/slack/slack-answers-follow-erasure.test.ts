import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const ADMIN_DESK = 'CADMIN'; // where the admin types `forget` (its answers are ephemeral)
const tsOf = (n: number) => `1763940000.${String(n).padStart(6, '0')}`;

/**
 * A rep's answers posted in an internal channel name the customer and quote its details: `@Rapport
 * lookup` answered in the mention's thread, `/crm notify … here` answered in the channel. `forget`
 * confirmed erases the customer and takes those answers back like its cards: each is updated in place
 * (chat.update) to the erased line, quoting nothing; an answer about another customer stays. On the code
 * before, only the follow-up cards were taken back and the answers stayed readable in the channel.
 */
describe('Slack: answers naming an erased customer are taken back', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let seq = 0;

  const command = (channelId: string, userId: string, text: string) =>
    slackSlashCommand({ url: proc.url, slack }, { teamId: TEAM, channelId, userId, text });
  const inChannel = (channel: string) => slack.messages.filter((m) => m.channel === channel);
  /** An internal channel of this test's own. */
  const deskChannel = (name: string) => {
    const id = `C${name.toUpperCase()}${++seq}`;
    slack.channelMembers.set(id, ['UBOT', 'UREP', 'UADMIN']);
    return id;
  };
  /** A new customer of this test's own, logged to from the admin desk (the answer is ephemeral). */
  const newCustomer = async (name: string) => {
    const answer = JSON.stringify((await command(ADMIN_DESK, 'UREP', `log "${name}" "Met at the fair" --new`)).body);
    expect(answer).toContain(name);
  };
  /** `@Rapport lookup <name>` in the channel: answered in the mention's thread. */
  const lookedUpIn = async (channel: string, name: string) => {
    const asked = tsOf(++seq);
    const event = {
      type: 'app_mention',
      channel,
      channel_type: 'channel',
      user: 'UREP',
      team: TEAM,
      ts: asked,
      text: `<@UBOT> lookup "${name}"`,
    };
    const res = await postSignedToSlackEvents(
      proc.url,
      SECRET,
      eventCallbackBody(TEAM, event, `Ev${++seq}`),
      'application/json',
    );
    expect(res.status).toBe(200);
    const answer = await eventually(`the lookup of ${name} answered in the mention’s thread`, async () =>
      inChannel(channel).find((m) => m.thread_ts === asked),
    );
    expect(JSON.stringify(answer.blocks)).toContain(name);
    return answer;
  };
  /** Rapport recorded the answers it posted (right after posting them). */
  const recorded = (answers: RecordedMessage[]) =>
    eventually(`${answers.length} answers recorded`, async () => {
      const rows = await proc.runtime.db.prisma.delivery.findMany({
        where: { key: { startsWith: 'answer-' }, externalId: { in: answers.map((a) => a.ts) } },
      });
      return rows.length === answers.length;
    });
  const forget = async (name: string) => {
    const ask = await command(ADMIN_DESK, 'UADMIN', `forget "${name}"`);
    const confirm = new RegExp(`forget \\\\?"?${name}\\\\?"? --confirm [0-9a-f]+`).exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();
    await command(ADMIN_DESK, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await proc.runtime.db.prisma.company.count({ where: { name } })).toBe(0);
  };
  const updateOf = (answer: RecordedMessage) =>
    eventually(
      `chat.update of ${answer.channel}/${answer.ts}`,
      async () =>
        slack.callsTo('chat.update').find((c) => c.body.channel === answer.channel && c.body.ts === answer.ts),
      30_000,
    );

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { LOG_LEVEL: 'info' },
      name: 'slack-answers-follow-erasure',
      logger: loggerInto([], 'info'),
      beforeStart: (slack) => {
        slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.channelMembers.set(ADMIN_DESK, ['UBOT', 'UREP', 'UADMIN']);
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  }, 120_000);
  afterAll(async () => {
    await bot?.dispose();
  });

  it('forget: the lookup in a mention’s thread and notify’s answer are updated to the erased line; an answer about another customer stays', async () => {
    await newCustomer('Initech Dmco');
    await newCustomer('Umbrella Dmco');
    const desk = deskChannel('desk');
    const lookup = await lookedUpIn(desk, 'Initech Dmco');
    const notified = (await command(desk, 'UREP', 'notify "Initech Dmco" here')).body;
    expect(notified.channel).toBe(desk);
    const notifyAnswer = await eventually('notify’s answer in the channel', async () =>
      inChannel(desk).find((m) => !m.thread_ts && /now Initech Dmco's team channel/.test(m.text ?? '')),
    );
    const other = await lookedUpIn(desk, 'Umbrella Dmco');
    await recorded([lookup, notifyAnswer, other]);

    await forget('Initech Dmco');

    for (const answer of [lookup, notifyAnswer]) {
      const update = await updateOf(answer);
      const shown = JSON.stringify({ text: update.body.text, blocks: update.body.blocks });
      expect(shown).toMatch(/Erased/);
      expect(shown).not.toMatch(/Initech|fair|action_id/i);
    }
    // The recorder keeps each message as Slack shows it now: nothing of Initech is left in the channel.
    expect(JSON.stringify(inChannel(desk).filter((m) => m !== other))).not.toMatch(/Initech|fair/);
    // Why, in the Delivery rows: one retraction per answer (the thread's and the channel's), for the erasure.
    const retractions = await proc.runtime.db.prisma.delivery.findMany({
      where: { key: { startsWith: 'retract-' }, target: { startsWith: `slack:${TEAM}/${desk}` } },
    });
    expect(retractions.map((r) => (r.payload as { reason?: string }).reason)).toEqual(['erased', 'erased']);

    // The answer about Umbrella was left alone.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slack.callsTo('chat.update').filter((c) => c.body.ts === other.ts)).toHaveLength(0);
    expect(JSON.stringify(other.blocks)).toContain('Umbrella Dmco');
  }, 150_000);

  it('forget: a pick list naming the customer among others is taken back, since it names them', async () => {
    await newCustomer('Hooli Pickco');
    await newCustomer('Hooli Pickworks');
    const desk = deskChannel('picks');
    const asked = tsOf(++seq);
    const event = {
      type: 'app_mention',
      channel: desk,
      channel_type: 'channel',
      user: 'UREP',
      team: TEAM,
      ts: asked,
      text: '<@UBOT> lookup hooli pick',
    };
    const res = await postSignedToSlackEvents(
      proc.url,
      SECRET,
      eventCallbackBody(TEAM, event, `Ev${++seq}`),
      'application/json',
    );
    expect(res.status).toBe(200);
    const pickList = await eventually('the pick list in the mention’s thread', async () =>
      inChannel(desk).find((m) => m.thread_ts === asked),
    );
    expect(JSON.stringify(pickList.blocks)).toMatch(/Hooli Pickco/);
    expect(JSON.stringify(pickList.blocks)).toMatch(/Hooli Pickworks/);
    await recorded([pickList]);

    await forget('Hooli Pickworks');

    const shown = JSON.stringify((await updateOf(pickList)).body);
    expect(shown).toMatch(/Erased/);
    expect(shown).not.toMatch(/Hooli/);
  }, 150_000);
});
