import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const LINKED = 'CACME'; // the customer channel (source), a guest from Acme in it
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where Acme's cards go
const tsOf = (n: number) => `1763920000.${String(n).padStart(6, '0')}`;

/**
 * Issue 14, "cards follow the data" on Slack: after `forget`, the suggestion cards posted in the team
 * channel that quoted the customer are updated in place (chat.update) to the erased text and quote
 * nothing of them any more.
 */
describe('Slack: cards follow the data', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let proc: RunningProcess;
  let seq = 0;

  const post = (body: string, contentType: string) => postSignedToSlackEvents(proc.url, SECRET, body, contentType);
  const command = (channelId: string, userId: string, text: string) =>
    slackSlashCommand({ url: proc.url, slack }, { teamId: TEAM, channelId, userId, text });
  const guestSays = async (text: string) => {
    const ts = tsOf(++seq);
    const event = { type: 'message', channel_type: 'channel', channel: LINKED, user: 'UJO', team: TEAM, ts, text };
    expect((await post(eventCallbackBody(TEAM, event, `Ev${++seq}`), 'application/json')).status).toBe(200);
  };

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: {
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`,
        LOG_LEVEL: 'info',
        // Escalations follow their reminder at once, so one test sees both.
        RAPPORT_ESCALATE_AFTER_HOURS: '0',
      },
      name: 'slack-cards-follow-data',
      logger: loggerInto(logLines, 'info'),
      beforeStart: (slack) => {
        slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.users.set('UJO', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.example' } });
        slack.channelMembers.set(LINKED, ['UBOT', 'UREP', 'UJO']);
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP', 'UADMIN']);
      },
      acme: { domains: ['acme.example'] },
    });
    slack = bot.slack;
    proc = bot.test.proc;
    expect(String((await command(LINKED, 'UREP', 'link acme')).body.text)).toMatch(/now linked to Acme/);
  });
  afterAll(async () => {
    await bot?.dispose();
  });

  it('forget: every suggestion card that quoted the customer is updated in place to the erased text', async () => {
    await guestSays('The dashboard keeps crashing, we are really unhappy and considering other options');
    const card = await eventually(
      'the suggestion card in the team channel',
      async () => slack.messages.find((m) => m.channel === DEFAULT && /crashing/.test(JSON.stringify(m.blocks))),
      30_000,
    );
    expect(card.text).toMatch(/Suggested follow-up/);
    expect(slack.messages.filter((m) => m.channel === LINKED && /Suggested/.test(m.text ?? ''))).toHaveLength(0);

    const ask = await command(DEFAULT, 'UADMIN', 'forget acme');
    const confirm = /forget \\?"?Acme\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();
    await command(DEFAULT, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await proc.runtime.db.prisma.company.count({ where: { name: 'Acme' } })).toBe(0);

    const update = await eventually(
      'chat.update of the card',
      async () => slack.callsTo('chat.update').find((c) => c.body.channel === DEFAULT && c.body.ts === card.ts),
      30_000,
    );
    expect(JSON.stringify(update.body)).toMatch(/[Ee]rased/);
    expect(JSON.stringify(update.body)).not.toMatch(/crashing|considering|Acme|unhappy/);
    // The recorder keeps the card as Slack shows it now: nothing of the customer is left in the channel.
    expect(JSON.stringify(slack.messages.filter((m) => m.channel === DEFAULT))).not.toMatch(/crashing|considering/);
    expect(card.edited).toBe(true);
  }, 90_000);

  // The assignee's private copies of a reminder and its escalation (a DM) quote the customer like the
  // channel's cards. On the code before, the look-up of posted cards read "direct-…" as the follow-up id
  // of their delivery keys, so forget updated the channel's cards and left the DM copies as posted.
  it('forget: the assignee’s private copies of the reminder and the escalation are taken back too', async () => {
    const say = async (text: string) => JSON.stringify((await command(DEFAULT, 'UREP', text)).body);
    expect(await say('log "Globex Dmco" "Met at the fair, wants the deck" --new')).toMatch(/Globex Dmco/);
    const number = Number(/#(\d+)/.exec(await say('remind "Globex Dmco" tomorrow 9am send the Globex deck'))?.[1]);
    expect(await say(`assign ${number} <@UREP>`)).toMatch(/assigned to/);
    const db = proc.runtime.db.prisma;
    const f = await db.followUp.findUniqueOrThrow({ where: { number } });
    await db.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 300) } });
    await proc.runtime.hooks.followUpChanged(f.id);
    const copies = await eventually(
      'the reminder and the escalation in the assignee’s DM',
      async () => {
        const dm = slack.messages.filter(
          (m) => m.channel === 'DUREP' && JSON.stringify(m.blocks).includes(`#${number} `),
        );
        return dm.length >= 2 ? dm : undefined;
      },
      60_000,
    );

    const ask = await command(DEFAULT, 'UADMIN', 'forget "Globex Dmco"');
    const confirm = /forget \\?"?Globex Dmco\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();
    await command(DEFAULT, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    for (const copy of copies) {
      const update = await eventually(
        `chat.update of the DM copy ${copy.ts}`,
        async () => slack.callsTo('chat.update').find((c) => c.body.channel === 'DUREP' && c.body.ts === copy.ts),
        30_000,
      );
      expect(JSON.stringify(update.body)).not.toMatch(/Globex|deck|fair/);
    }
    expect(JSON.stringify(slack.messages.filter((m) => m.channel === 'DUREP'))).not.toMatch(/Globex|deck/);
  }, 120_000);
});
