import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { nextWeekTuesdayAt9 } from '../../helpers/chinese-calendar.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const CUSTOMER_CHANNEL = 'CHUAWEI'; // linked to 华为技术有限公司
const TEAM_CHANNEL = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where suggestion cards go
const tsOf = (n: number) => `1763900000.${String(n).padStart(6, '0')}`;

// Issue 18, end to end in Slack: a rep in Shanghai and a customer who writes Chinese, through the real
// Bolt receiver (signed requests) and the real pipeline, with Slack's Web API as the local recorder.
describe.each(TEST_DATABASE_KINDS)('Slack in Chinese, end to end on %s', (kind) => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let seq = 0;

  const post = (body: string, contentType: string) => postSignedToSlackEvents(proc.url, SECRET, body, contentType);
  /** Runs a slash command and returns the text (and blocks) of its answer. */
  const command = async (text: string) =>
    JSON.stringify(
      (
        await slackSlashCommand(
          { url: proc.url, slack },
          { teamId: TEAM, channelId: CUSTOMER_CHANNEL, userId: 'UREP', text },
        )
      ).body,
    );

  beforeAll(async () => {
    bot = await startSlackTestBot({
      database: kind,
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${TEAM_CHANNEL}`, RAPPORT_INTERNAL_DOMAINS: 'ours.example' },
      name: 'slack-zh',
      beforeStart: (slack) => {
        slack.users.set('UREP', { tz: 'Asia/Shanghai', profile: { display_name: 'mei', email: 'mei@ours.example' } });
        slack.users.set('UWANG', {
          is_restricted: true,
          profile: { display_name: '王经理', email: 'wang@huawei.com' },
        });
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
    await proc.runtime.db.prisma.company.create({
      data: {
        name: '华为技术有限公司',
        normalizedName: normalizeCompanyName('华为技术有限公司'),
        domains: ['huawei.com'],
      },
    });
    expect(await command('link 华为')).toContain('华为技术有限公司');
  }, 120_000);
  afterAll(async () => {
    await bot?.dispose();
  });

  it('a Chinese churn warning in the customer channel is labelled churn, stored as zh, and a call-back is suggested in the team channel', async () => {
    const db = proc.runtime.db.prisma;
    const postsBefore = slack.callsTo('chat.postMessage').length; // only this test's card is looked at
    const ts = tsOf(++seq);
    const text = '价格太高了，如果下个月还不降价，我们就不续约了，可能会换别家。';
    const res = await post(
      eventCallbackBody(
        TEAM,
        { type: 'message', channel: CUSTOMER_CHANNEL, channel_type: 'channel', user: 'UWANG', team: TEAM, text, ts },
        `Ev${++seq}`,
      ),
      'application/json',
    );
    expect(res.status).toBe(200);
    const message = await eventually('the message logged', () =>
      db.message.findUnique({ where: { externalId: `slack:${TEAM}/${CUSTOMER_CHANNEL}/${ts}` } }),
    );
    expect(message.text).toBe(text);
    const followUp = await eventually('the suggested follow-up', () =>
      db.followUp.findFirst({ where: { recordId: message.recordId }, include: { classification: true } }),
    );
    expect(followUp.classification?.label).toBe('churn');
    expect(followUp.title).toBe('Call to understand why they want to leave');
    expect((await db.message.findUniqueOrThrow({ where: { id: message.id } })).language).toBe('zh');
    const card = await eventually('the suggestion card in the team channel', async () =>
      slack
        .callsTo('chat.postMessage')
        .slice(postsBefore)
        .find((c) => c.body.channel === TEAM_CHANNEL && JSON.stringify(c.body).includes('华为技术有限公司')),
    );
    expect(JSON.stringify(card.body)).toContain('Chinese (zh)');
  });

  it('/crm remind 华为 下周二 发报价 is due Tuesday next week at 9:00 in the rep’s Shanghai timezone', async () => {
    const answer = await command('remind 华为 下周二 发报价');
    expect(answer).toContain('华为技术有限公司');
    expect(answer).toContain('发报价');
    const followUp = await proc.runtime.db.prisma.followUp.findFirstOrThrow({
      where: { title: '发报价', source: 'manual' },
    });
    expect(followUp.dueAt.toISOString()).toBe(nextWeekTuesdayAt9(new Date()).toISOString());
  });
});
