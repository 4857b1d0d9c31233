import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPostsInPlace } from '../../../src/db/posted-card.repository.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { DailyDigestData } from '../../../jobs/job-data.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1'; // ours
const ACME_TEAM = 'TACME'; // the customer's own Slack org (Slack Connect)
const LINKED = 'CACME'; // the customer channel (source): a guest from Acme in it
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL
const TAKEN_BACK = 'Taken back: this channel is now shared with people outside the company.';
const tsOf = (n: number) => `1763930000.${String(n).padStart(6, '0')}`;

/**
 * A team channel (#acme-account, internal) holds Acme's suggestion cards, reminders and digests; then
 * it stops being internal: shared with Acme's org (channel_shared) or a guest joins
 * (member_joined_channel). Everything Rapport posted there is updated in place (chat.update) to one
 * neutral line, and nothing of the customer is left in the channel. On the code before, those events
 * only dropped cached answers: the cards stayed as posted for the customer to scroll back to.
 */
describe('Slack: a channel that becomes shared gets back nothing Rapport posted there', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let proc: RunningProcess;
  let queues: PipelineQueues;
  let redis: ReturnType<typeof connectRedis>;
  let seq = 0;

  const post = (body: string) => postSignedToSlackEvents(proc.url, SECRET, body, 'application/json');
  const command = (channelId: string, userId: string, text: string) =>
    slackSlashCommand({ url: proc.url, slack }, { teamId: TEAM, channelId, userId, text });
  const event = async (e: Record<string, unknown>) =>
    expect((await post(eventCallbackBody(TEAM, e, `Ev${++seq}`))).status).toBe(200);
  const inChannel = (channel: string) => slack.messages.filter((m) => m.channel === channel);
  /** What the delivery job posted there (cards, digests: the key in the message metadata), not command answers. */
  const deliveredIn = (channel: string) => inChannel(channel).filter((m) => m.metadata);
  /** An internal team channel of this test's own. */
  const teamChannel = (name: string) => {
    const id = `C${name.toUpperCase()}${++seq}`;
    slack.channelMembers.set(id, ['UBOT', 'UREP', 'UADMIN']);
    return id;
  };
  const digestIn = async (channel: string) => {
    const job: DailyDigestData = { target: `slack:${TEAM}/${channel}`, timezone: 'UTC' };
    await queues[QueueName.DailyDigest].add('digest', job);
    return eventually(`the daily digest in ${channel}`, async () =>
      inChannel(channel).find((m) => /Daily digest/.test(m.text ?? '')),
    );
  };
  /** The answer a `/crm` command posted in the channel (e.g. notify's confirmation), as the channel shows it. */
  const answerIn = (channel: string, text: RegExp) =>
    eventually(`the answer ${text} in ${channel}`, async () =>
      inChannel(channel).find((m) => !m.metadata && text.test(m.text ?? '')),
    );
  /** Rapport knows it posted these messages in the channel (the answer is recorded right after it is posted). */
  const listedAmongPosts = (channel: string, messages: RecordedMessage[]) =>
    eventually(`${messages.length} answers listed among the posts in ${channel}`, async () => {
      const posts = await findPostsInPlace(proc.runtime.db.sql, `slack:${TEAM}/${channel}`);
      return messages.every((m) => posts.some((p) => p.externalId === m.ts));
    });
  /** Acme's org accepts a Slack Connect invitation to the channel: Slack says so (channel_shared). */
  const sharedWithAcme = async (channel: string) => {
    slack.channels.set(channel, {
      is_ext_shared: true,
      is_shared: true,
      connected_team_ids: [ACME_TEAM],
      shared_team_ids: [TEAM, ACME_TEAM],
    });
    slack.channelMembers.set(channel, ['UBOT', 'UREP', 'UADMIN', 'UBUYER']);
    await event({ type: 'channel_shared', connected_team_id: ACME_TEAM, channel });
  };
  const updateOf = (card: RecordedMessage) =>
    eventually(
      `chat.update of ${card.channel}/${card.ts}`,
      async () => slack.callsTo('chat.update').find((c) => c.body.channel === card.channel && c.body.ts === card.ts),
      30_000,
    );

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`, LOG_LEVEL: 'info' },
      name: 'slack-shared-take-back',
      logger: loggerInto(logLines, 'info'),
      beforeStart: (slack) => {
        slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.users.set('UJO', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.example' } });
        slack.users.set('UBUYER', {
          team_id: ACME_TEAM,
          profile: { display_name: 'buyer', email: 'buyer@acme.example' },
        });
        slack.channelMembers.set(LINKED, ['UBOT', 'UREP', 'UJO']);
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP', 'UADMIN']);
        slack.teams.set(ACME_TEAM, { name: 'Acme', domain: 'acme', email_domain: 'acme.example' });
      },
      acme: { domains: ['acme.example'] },
    });
    slack = bot.slack;
    proc = bot.test.proc;
    // The process's own queues, to fire a daily digest now instead of at 09:00.
    redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    queues = createQueues(redis, bot.test.prefix);
    expect(String((await command(LINKED, 'UREP', 'link acme')).body.text)).toMatch(/now linked to Acme/);
  });
  afterAll(async () => {
    if (queues) await closeQueues(queues);
    await redis?.quit();
    await bot?.dispose();
  });

  it("channel_shared: the suggestion card and the digest in Acme's team channel are updated to the neutral line", async () => {
    const account = teamChannel('account');
    expect(String((await command(account, 'UREP', 'notify acme here')).body.text)).toMatch(/now Acme's team channel/);
    const answer = await answerIn(account, /now Acme's team channel/);
    await listedAmongPosts(account, [answer]);
    const ts = tsOf(++seq);
    await event({
      type: 'message',
      channel_type: 'channel',
      channel: LINKED,
      user: 'UJO',
      team: TEAM,
      ts,
      text: 'The dashboard keeps crashing, we are really unhappy and considering other options',
    });
    const card = await eventually(
      'the suggestion card in the team channel',
      async () => inChannel(account).find((m) => /crashing/.test(JSON.stringify(m.blocks))),
      90_000,
    );
    expect(card.text).toMatch(/Suggested follow-up/);
    const digest = await digestIn(account);
    expect(JSON.stringify(digest.blocks)).toMatch(/Acme/);

    await sharedWithAcme(account);

    for (const posted of [card, digest, answer]) {
      const update = await updateOf(posted);
      const shown = JSON.stringify({ text: update.body.text, blocks: update.body.blocks });
      expect(shown).toContain(TAKEN_BACK);
      expect(shown).not.toMatch(/crashing|considering|unhappy|Acme|Digest|action_id/i);
    }
    // The recorder keeps each message as Slack shows it now: nothing of the customer is left there.
    await eventually('every message in the channel taken back', async () =>
      inChannel(account).every((m) => m.text === TAKEN_BACK),
    );
    expect(deliveredIn(account)).toHaveLength(2);
    expect(inChannel(account)).toHaveLength(3);
    expect(JSON.stringify(inChannel(account))).not.toMatch(/crashing|considering|Acme/);
    // Why, in the Delivery rows: one retraction per message (the card, the digest and notify's answer).
    // Each row is marked sent once Slack has answered the update, a moment after the recorder saw it
    // (CI of 7831b01 read one row before that).
    const retractions = () =>
      proc.runtime.db.prisma.delivery.findMany({
        where: { key: { startsWith: 'retract-' }, target: `slack:${TEAM}/${account}` },
      });
    await eventually('every retraction marked sent', async () =>
      (await retractions()).every((r) => r.status === 'sent'),
    );
    expect((await retractions()).map((r) => (r.payload as { reason?: string }).reason)).toEqual([
      'shared',
      'shared',
      'shared',
    ]);
    // It is no longer Acme's team channel: Acme's next digest goes to the default channel.
    expect(await proc.runtime.db.prisma.teamChannel.count({ where: { companyId: bot!.acmeId } })).toBe(0);

    // Nothing puts the card back: a change to the follow-up refreshes nothing there, and a second
    // channel_shared (another org joins) takes nothing back twice.
    const updates = slack.callsTo('chat.update').length;
    const f = await proc.runtime.db.prisma.followUp.findFirstOrThrow({
      where: { companyId: bot!.acmeId, status: 'suggested' },
    });
    await proc.runtime.db.prisma.followUp.update({ where: { id: f.id }, data: { title: 'Call them today' } });
    await proc.runtime.hooks.followUpChanged(f.id);
    await event({ type: 'channel_shared', connected_team_id: 'TOTHER', channel: account });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slack.callsTo('chat.update').slice(updates)).toHaveLength(0);
    expect(inChannel(account).every((m) => m.text === TAKEN_BACK)).toBe(true);
  }, 150_000);

  // On the code before, a command's answer posted in the channel was recorded nowhere: the channel, once
  // shared, still said which customers the team serves and what a lookup showed.
  it("channel_shared: notify's answer and a lookup answered in a mention's thread are taken back like cards", async () => {
    const account = teamChannel('answers');
    expect(String((await command(account, 'UREP', 'notify acme here')).body.text)).toMatch(/now Acme's team channel/);
    const notified = await answerIn(account, /now Acme's team channel/);
    const asked = tsOf(++seq);
    await event({
      type: 'app_mention',
      channel: account,
      channel_type: 'channel',
      user: 'UREP',
      team: TEAM,
      ts: asked,
      text: '<@UBOT> lookup acme',
    });
    const looked = await eventually('the lookup answered in the mention’s thread', async () =>
      inChannel(account).find((m) => m.thread_ts === asked),
    );
    expect(JSON.stringify(looked.blocks)).toMatch(/Acme/);
    await listedAmongPosts(account, [notified, looked]);

    await sharedWithAcme(account);

    for (const posted of [notified, looked]) {
      const update = await updateOf(posted);
      const shown = JSON.stringify({ text: update.body.text, blocks: update.body.blocks });
      expect(shown).toContain(TAKEN_BACK);
      expect(shown).not.toMatch(/Acme|team channel|acme\.example|action_id/i);
    }
    await eventually('every message in the channel taken back', async () =>
      inChannel(account).every((m) => m.text === TAKEN_BACK),
    );
    expect(inChannel(account)).toHaveLength(2);
  }, 150_000);

  it('an answer the database refuses to record is still posted, and the failure is logged', async () => {
    const account = teamChannel('unrecorded');
    const target = `slack:${TEAM}/${account}`;
    // Refuses this channel's answer records only: other tests' rows go on being written.
    const sql = proc.runtime.db.sql;
    await sql.exec(`
      CREATE FUNCTION test_refuse_answer_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.key LIKE 'answer-%' AND NEW.target = '${target}' THEN RAISE EXCEPTION 'answer record refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_answer_record BEFORE INSERT ON "Delivery" FOR EACH ROW EXECUTE FUNCTION test_refuse_answer_record();`);
    try {
      expect(String((await command(account, 'UREP', 'notify acme here')).body.text)).toMatch(/now Acme's team channel/);
      const answer = await answerIn(account, /now Acme's team channel/);
      const logged = await eventually('the failure to record logged', async () =>
        logLines.find((l) => l.includes('could not be recorded') && l.includes(answer.ts)),
      );
      expect(logged).toContain(target);
      expect(logged).toContain('answer record refused');
    } finally {
      await sql.exec(
        `DROP TRIGGER test_refuse_answer_record ON "Delivery"; DROP FUNCTION test_refuse_answer_record();`,
      );
    }
  });

  it('member_joined_channel of a guest: the reminder and the digest in the team channel are taken back', async () => {
    const account = teamChannel('accountguest');
    const say = async (text: string) => String((await command(account, 'UREP', text)).body.text);
    expect(await say('notify acme here')).toMatch(/now Acme's team channel/);
    const answer = await answerIn(account, /now Acme's team channel/);
    await listedAmongPosts(account, [answer]);
    await say('remind acme in 1 minute send Acme the renewal quote');
    const db = proc.runtime.db.prisma;
    const f = await db.followUp.findFirstOrThrow({ where: { title: { contains: 'renewal quote' } } });
    await db.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await proc.runtime.hooks.followUpChanged(f.id);
    const reminder = await eventually('the reminder in the team channel', async () =>
      inChannel(account).find((m) => /renewal quote/.test(JSON.stringify(m.blocks))),
    );
    const digest = await digestIn(account);

    // A customer's guest is invited to the team channel.
    slack.users.set('UGUEST', { is_restricted: true, profile: { display_name: 'g', email: 'g@acme.example' } });
    slack.channelMembers.set(account, ['UBOT', 'UREP', 'UADMIN', 'UGUEST']);
    await event({
      type: 'member_joined_channel',
      user: 'UGUEST',
      channel: account,
      channel_type: 'C',
      team: TEAM,
      inviter: 'UREP',
    });
    for (const posted of [reminder, digest, answer]) {
      const update = await updateOf(posted);
      const shown = JSON.stringify({ text: update.body.text, blocks: update.body.blocks });
      expect(shown).toContain(TAKEN_BACK);
      expect(shown).not.toMatch(/renewal|quote|Acme|action_id/i);
    }
    await eventually('every message in the channel taken back', async () =>
      inChannel(account).every((m) => m.text === TAKEN_BACK),
    );

    // An internal member joining another channel takes nothing back.
    const other = teamChannel('internal');
    slack.channelMembers.set(other, ['UBOT', 'UREP']);
    const note = await digestIn(other);
    slack.channelMembers.set(other, ['UBOT', 'UREP', 'UADMIN']);
    const updates = slack.callsTo('chat.update').length;
    await event({ type: 'member_joined_channel', user: 'UADMIN', channel: other, channel_type: 'C', team: TEAM });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(slack.callsTo('chat.update').slice(updates)).toHaveLength(0);
    expect(inChannel(other)[0]).toBe(note);
  }, 150_000);
});
