import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { closeQueues, createQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const ADMIN_DESK = 'CADMIN'; // where the admin types `forget` (its answers are ephemeral)
const tsOf = (n: number) => `1763940000.${String(n).padStart(6, '0')}`;

/**
 * A fixed-offset zone whose clock reads 10:xx now: the digest lists what is due on its local day, and a
 * follow-up due in 2 hours stays on it whenever the test runs (a UTC run at 23:00 would move it to tomorrow).
 */
function zoneAtTenNow(): string {
  const offset = ((10 - new Date().getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? 'UTC' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/**
 * A rep's answers posted in an internal channel name the customer and quote its details: `@Rapport
 * lookup` answered in the mention's thread, `/crm notify … here` answered in the channel. `forget`
 * confirmed erases the customer and takes those answers back like its cards: each is updated in place
 * (chat.update) to the erased line, quoting nothing; an answer about another customer stays. On the code
 * before, only the follow-up cards were taken back and the answers stayed readable in the channel. The
 * daily digest posted by the delivery job is taken back the same way when a follow-up it lists is the
 * erased customer's (before, it stayed as posted).
 */
describe('Slack: answers naming an erased customer are taken back', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let queues: PipelineQueues;
  let redis: ReturnType<typeof connectRedis>;
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
  /** `@Rapport <text>` typed by the rep in the channel, as Slack sends it; the mention's ts (its answer's thread). */
  const mention = async (channel: string, text: string) => {
    const asked = tsOf(++seq);
    const event = { type: 'app_mention', channel, channel_type: 'channel', user: 'UREP', team: TEAM, ts: asked, text };
    const res = await postSignedToSlackEvents(
      proc.url,
      SECRET,
      eventCallbackBody(TEAM, event, `Ev${++seq}`),
      'application/json',
    );
    expect(res.status).toBe(200);
    return asked;
  };
  /** `@Rapport lookup <name>` in the channel: answered in the mention's thread. */
  const lookedUpIn = async (channel: string, name: string) => {
    const asked = await mention(channel, `<@UBOT> lookup "${name}"`);
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
  /** The desk becomes the customer's team channel (notify … here), with a follow-up of it due in 2 hours; remind's answer. */
  const teamDeskWithFollowUp = async (desk: string, name: string) => {
    expect(String((await command(desk, 'UREP', `notify "${name}" here`)).body.text)).toMatch(/team channel/);
    return (await command(desk, 'UREP', `remind "${name}" in 2 hours send the renewal quote`)).body;
  };
  /** The daily digest of the desk, fired now instead of at 09:00. */
  const queueDigest = (desk: string) =>
    queues[QueueName.DailyDigest].add('digest', { target: `slack:${TEAM}/${desk}`, timezone: 'UTC' });
  const updateOf = (answer: RecordedMessage) =>
    eventually(
      `chat.update of ${answer.channel}/${answer.ts}`,
      async () =>
        slack.callsTo('chat.update').find((c) => c.body.channel === answer.channel && c.body.ts === answer.ts),
      30_000,
    );

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { LOG_LEVEL: 'info', RAPPORT_TIMEZONE: zoneAtTenNow() },
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
    // The process's own queues, to fire a daily digest now instead of at 09:00.
    redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    queues = createQueues(redis, bot.test.prefix);
  }, 120_000);
  afterAll(async () => {
    if (queues) await closeQueues(queues);
    await redis?.quit();
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

  it('forget: the daily digest listing the customer’s follow-up is updated to the erased line; the digest of another customer’s channel stays', async () => {
    const digestIn = async (channel: string) => {
      await queueDigest(channel);
      return eventually(`the daily digest in ${channel}`, async () =>
        inChannel(channel).find((m) => /Daily digest/.test(m.text ?? '')),
      );
    };
    const desks: Record<string, string> = {};
    for (const name of ['Initech Dgco', 'Umbrella Dgco']) {
      await newCustomer(name);
      const desk = deskChannel(`digest${Object.keys(desks).length}`); // no customer name in the channel id
      desks[name] = desk;
      expect(JSON.stringify(await teamDeskWithFollowUp(desk, name))).toContain(name);
    }
    const digest = await digestIn(desks['Initech Dgco']);
    expect(JSON.stringify(digest.blocks)).toMatch(/Initech Dgco/);
    expect(JSON.stringify(digest.blocks)).toMatch(/renewal quote/);
    const other = await digestIn(desks['Umbrella Dgco']);
    expect(JSON.stringify(other.blocks)).toMatch(/Umbrella Dgco/);
    // Recorded with the customer each names, right after being recorded sent.
    await eventually('both digests recorded with the customer they name', async () => {
      const rows = await proc.runtime.db.prisma.delivery.findMany({
        where: { key: { startsWith: 'digest' }, externalId: { in: [digest.ts, other.ts] } },
      });
      return rows.length === 2 && rows.every((r) => r.aboutCompanyIds.length === 1);
    });

    await forget('Initech Dgco');

    const shown = JSON.stringify((await updateOf(digest)).body);
    expect(shown).toMatch(/Erased/);
    expect(shown).not.toMatch(/Initech|renewal|action_id/i);
    // notify's answer there names Initech too: with it taken back, nothing of Initech is left in the channel.
    await eventually(
      'nothing of Initech left in its desk',
      async () => !/Initech|renewal/.test(JSON.stringify(inChannel(desks['Initech Dgco']))),
    );
    // The digest naming Umbrella only was left alone.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slack.callsTo('chat.update').filter((c) => c.body.ts === other.ts)).toHaveLength(0);
    expect(JSON.stringify(other.blocks)).toContain('Umbrella Dgco');
  }, 150_000);

  it('forget while a digest listing the customer is on its way (Slack answers the post after the erasure): taken back at once', async () => {
    await newCustomer('Initech Waitco');
    const desk = deskChannel('waiting');
    await teamDeskWithFollowUp(desk, 'Initech Waitco');
    // Slack takes the digest's post and answers only once the customer is erased.
    const held = slack.holdNext(
      'chat.postMessage',
      (body) => body.channel === desk && /Daily digest/.test(String(body.text ?? '')),
    );
    await queueDigest(desk);
    await held.arrived;
    await forget('Initech Waitco');
    held.release();

    const digest = await eventually('the digest in the channel', async () =>
      inChannel(desk).find((m) => m.metadata && /Daily digest|Erased/.test(m.text ?? '')),
    );
    const shown = JSON.stringify((await updateOf(digest)).body);
    expect(shown).toMatch(/Erased/);
    expect(shown).not.toMatch(/Initech|renewal|action_id/i);
  }, 150_000);

  it('forget while a digest is on its way that Slack keeps but answers with a 500: the retry, whose digest names nobody, finds it and takes it back', async () => {
    await newCustomer('Initech Retryco');
    const desk = deskChannel('retrying');
    await teamDeskWithFollowUp(desk, 'Initech Retryco');
    // Slack takes the digest's post, answers only once the customer is erased, and then with a 500 (it
    // kept the message): the job retries, builds the digest again from the data after the erasure (it
    // names nobody now), asks Slack whether the first one went out (conversations.history) and finds it,
    // the one naming Initech.
    const isDigest = (body: Record<string, unknown>) =>
      body.channel === desk && /Daily digest/.test(String(body.text ?? ''));
    const held = slack.holdNext('chat.postMessage', isDigest);
    slack.failNext('chat.postMessage', { afterPosting: true, status: 500 }, isDigest);
    await queueDigest(desk);
    await held.arrived;
    await forget('Initech Retryco');
    held.release();
    const digest = await eventually('the digest Slack kept', async () =>
      inChannel(desk).find((m) => m.metadata && /Daily digest/.test(m.text ?? '')),
    );
    expect(JSON.stringify(digest.blocks)).toMatch(/Initech Retryco/);
    await eventually('the retry looking for it', async () =>
      slack.callsTo('conversations.history').some((c) => c.body.channel === desk),
    );

    const shown = JSON.stringify((await updateOf(digest)).body);
    expect(shown).toMatch(/Erased/);
    expect(shown).not.toMatch(/Initech|renewal|action_id/i);
    // Posted once: the retry found it rather than posting a second digest.
    expect(slack.callsTo('chat.postMessage').filter((c) => isDigest(c.body))).toHaveLength(1);
  }, 150_000);

  it('forget: a pick list naming the customer among others is taken back, since it names them', async () => {
    await newCustomer('Hooli Pickco');
    await newCustomer('Hooli Pickworks');
    const desk = deskChannel('picks');
    const asked = await mention(desk, '<@UBOT> lookup hooli pick');
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
