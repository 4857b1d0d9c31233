import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { eventCallbackBody, postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const TEAM_CHANNEL = 'CTEAM';

const blocksText = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []);

// Issue 20, "Chat cards": what a rep sees in Slack, through Bolt's HTTP receiver with signed requests and
// the recording Web API. Each test makes its own customer, so any order works.
describe('Slack chat cards (issue 20)', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let proc: RunningProcess;
  let seq = 0;

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: {
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${TEAM_CHANNEL}`,
        // Escalations follow their reminder at once, so one test sees both.
        RAPPORT_ESCALATE_AFTER_HOURS: '0',
        LOG_LEVEL: 'info',
      },
      name: 'slack-cards',
      logger: loggerInto(logLines, 'info'),
      beforeStart: (slack) => {
        slack.users.set('U0REP2', { profile: { display_name: 'bob', email: 'bob@ours.example' } });
        slack.users.set('UGUEST', {
          is_restricted: true,
          profile: { display_name: 'chris', email: 'chris@customer.example' },
        });
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  });
  afterAll(async () => {
    await bot?.dispose();
  });

  const post = (body: string, type = 'application/json') => postSignedToSlackEvents(proc.url, SECRET, body, type);

  /** A /crm command as Slack posts it, and its answer on the response_url. */
  async function crm(text: string, user = 'U1', channelId = 'CSALES'): Promise<string> {
    const triggerId = `cards-${++seq}`;
    const posts = slack.callsTo('chat.postMessage').length;
    const res = await post(
      slashCommandBody({
        teamId: TEAM,
        channelId,
        userId: user,
        text,
        triggerId,
        responseUrl: slack.responseUrl(`command-${triggerId}`),
      }),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    // Ephemeral through the response_url, or in the channel for answers everyone should see (link).
    const answer = await eventually(
      `the answer to "${text}"`,
      async () =>
        slack.callsTo(`respond/command-${triggerId}`)[0] ??
        slack
          .callsTo('chat.postMessage')
          .slice(posts)
          .find((c) => c.body.channel === channelId),
      60_000,
    );
    return JSON.stringify(answer.body);
  }

  /** A follow-up made due in a moment, whose reminder then fires. */
  async function remindSoon(
    customer: string,
    assignee?: string,
  ): Promise<{ number: number; id: string; channel: string }> {
    await crm(`log "${customer}" "Met at the fair" --new`);
    const answer = await crm(`remind "${customer}" tomorrow 9am send the deck`);
    const number = Number(/#(\d+)/.exec(answer)?.[1]);
    if (assignee) expect(await crm(`assign ${number} <@${assignee}>`)).toMatch(/assigned to/);
    const db = proc.runtime.db.prisma;
    const f = await db.followUp.findUniqueOrThrow({ where: { number } });
    await db.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 300) } });
    await proc.runtime.hooks.followUpChanged(f.id);
    // Reminders go where the follow-up was made (here the channel the command was typed in).
    return { number, id: f.id, channel: f.remindTarget!.split('/')[1] };
  }

  const cardOf = (number: number, pattern: RegExp) => (m: RecordedMessage) =>
    blocksText(m).includes(`#${number} `) && pattern.test(blocksText(m));

  it('app_rate_limited is acknowledged with 200 and logged, not left to time out', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60;
    const res = await post(
      JSON.stringify({
        token: 'legacy',
        type: 'app_rate_limited',
        team_id: TEAM,
        minute_rate_limited: minute,
        api_app_id: 'A1',
      }),
    );
    expect(res.status).toBe(200);
    await eventually('the rate-limit notice in the log', async () =>
      logLines.some((l) => /app_rate_limited|rate limit/i.test(l) && l.includes(String(minute))),
    );
  });

  /** A message event in a channel, as Slack delivers it (signed Events API envelope). */
  const sendEvent = (event: Record<string, unknown>) =>
    post(eventCallbackBody(TEAM, { channel_type: 'channel', team: TEAM, ...event }, `EvCards${++seq}`));
  const nextTs = () => `1800000000.${String(++seq).padStart(6, '0')}`;

  it('a reminder mentions the assignee (<@U…>) in the team channel and reaches them in a DM; the escalation mentions them too', async () => {
    const { number, channel } = await remindSoon('Mentionco', 'U0REP2');
    const reminder = await eventually('the reminder in the channel', async () =>
      slack.messages.find((m) => m.channel === channel && cardOf(number, /Reminder/)(m)),
    );
    expect(blocksText(reminder)).toContain('<@U0REP2>');
    expect(reminder.text).toContain('<@U0REP2>'); // the notification text, so Slack notifies bob
    // The DM: conversations.open with bob, then the same reminder in that DM channel.
    const open = await eventually('conversations.open with the assignee', async () =>
      slack.callsTo('conversations.open').find((c) => c.body.users === 'U0REP2'),
    );
    expect(open).toBeTruthy();
    const dm = await eventually('the reminder in the DM', async () =>
      slack.messages.find((m) => m.channel === 'DU0REP2' && cardOf(number, /Reminder/)(m)),
    );
    expect(blocksText(dm)).toMatch(/Done/);
    const escalation = await eventually('the escalation in the channel', async () =>
      slack.messages.find((m) => m.channel === channel && cardOf(number, /Overdue/)(m)),
    );
    expect(blocksText(escalation)).toContain('<@U0REP2>');
    expect(blocksText(escalation)).not.toContain('@bob');
    // The channel card stays the follow-up's card (clicks update it), not the DM.
    const f = await proc.runtime.db.prisma.followUp.findUniqueOrThrow({ where: { number } });
    expect(f.messageRef).toContain(channel);
  });

  it("cards show times with Slack's date token, so each viewer sees their own time", async () => {
    const { number, id, channel } = await remindSoon('Dateco');
    const reminder = await eventually('the reminder in the channel', async () =>
      slack.messages.find((m) => m.channel === channel && cardOf(number, /Reminder/)(m)),
    );
    const f = await proc.runtime.db.prisma.followUp.findUniqueOrThrow({ where: { id } });
    const unix = Math.floor(f.dueAt.getTime() / 1000);
    expect(blocksText(reminder)).toMatch(new RegExp(`<!date\\^${unix}\\^\\{date_short_pretty\\} \\{time\\}\\|[^>]+>`));
  });

  it('logged Slack text is shown without raw markup: mentions by name, links by label, channels, entities', async () => {
    await crm('log "Markupco" "First contact" --new');
    await crm('link markupco', 'U1', 'CMARKUP');
    const ts = nextTs();
    await sendEvent({
      type: 'message',
      channel: 'CMARKUP',
      user: 'UGUEST',
      ts,
      text: 'Hi <@U0REP2>, can you send <https://markupco.example/q|the quote> for 50 seats &amp; the SLA by Friday? See <#C0LEGAL|legal>',
    });
    const card = await eventually('the suggestion card for Markupco', async () =>
      slack.messages.find(
        (m) => m.channel === TEAM_CHANNEL && /Markupco/.test(blocksText(m)) && /Suggested/.test(blocksText(m)),
      ),
    );
    const shown = blocksText(card);
    expect(shown).toContain('@bob');
    expect(shown).toContain('the quote');
    expect(shown).toContain('#legal');
    expect(shown).not.toMatch(/U0REP2|&lt;|\|the quote|&amp;amp;/);
  });

  it('@Rapport mentions and direct messages are answered as commands; an outsider is refused', async () => {
    await crm('log "Askco" "Asked about pricing" --new');
    const ts = nextTs();
    await sendEvent({ type: 'app_mention', channel: 'CSALES', user: 'U1', ts, text: '<@UBOT> lookup askco' });
    const answer = await eventually('the answer to the mention, in its thread', async () =>
      slack.messages.find((m) => m.channel === 'CSALES' && m.thread_ts === ts),
    );
    expect(blocksText(answer)).toMatch(/Askco/);

    const dmTs = nextTs();
    await sendEvent({
      type: 'message',
      channel_type: 'im',
      channel: 'DU1',
      user: 'U1',
      ts: dmTs,
      text: 'lookup askco',
    });
    const dmAnswer = await eventually('the answer in the DM', async () =>
      slack.messages.find((m) => m.channel === 'DU1' && /Askco/.test(blocksText(m))),
    );
    expect(dmAnswer).toBeTruthy();

    // A retried delivery of the same DM (X-Slack-Retry-Num) writes nothing twice.
    const logTs = nextTs();
    const logDm = {
      type: 'message',
      channel_type: 'im',
      channel: 'DU1',
      user: 'U1',
      ts: logTs,
      text: 'log askco "Called about the renewal"',
    };
    await sendEvent(logDm);
    await sendEvent(logDm);
    await eventually('the DM log answered', async () =>
      slack.messages.some((m) => m.channel === 'DU1' && /renewal|Logged/i.test(blocksText(m))),
    );
    const askco = await proc.runtime.db.prisma.company.findFirstOrThrow({ where: { name: 'Askco' } });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(
      await proc.runtime.db.prisma.communicationRecord.count({
        where: { companyId: askco.id, subject: { contains: 'renewal' } },
      }),
    ).toBe(1);

    // A guest mentioning Rapport gets the refusal sentence, only for them, and no data.
    const guestTs = nextTs();
    const before = slack.messages.length;
    await sendEvent({
      type: 'app_mention',
      channel: 'CSALES',
      user: 'UGUEST',
      ts: guestTs,
      text: '<@UBOT> lookup askco',
    });
    const refusal = await eventually('the refusal to the guest', async () =>
      slack.callsTo('chat.postEphemeral').find((c) => c.body.user === 'UGUEST'),
    );
    expect(JSON.stringify(refusal.body)).not.toMatch(/Askco/);
    // The suggestion card of the DM log above goes to the team channel whenever its classification finishes,
    // which can be after this mention (CI seed 143636): only what else was posted counts.
    const answers = slack.messages
      .slice(before)
      .filter((m) => !(m.channel === TEAM_CHANNEL && /Suggested/.test(blocksText(m))));
    expect(answers.some((m) => /Askco/.test(blocksText(m)))).toBe(false);
  });

  it("a burst of one customer's logs posts a few suggestion cards in the channel and groups the rest in the first card's thread", async () => {
    await crm('log "Burstco" "First contact" --new');
    await crm('link burstco', 'U1', 'CBURST');
    const asks = [
      'Can you send a quote for 50 seats by Friday?',
      'Could you send pricing for 20 more licences this week?',
      'Please send an offer for the enterprise plan by Monday',
      'We want to buy 100 seats, can you send the contract?',
      'Can we get a quote for the premium support add-on?',
      'Please send the invoice for the 30 extra seats',
      'Can you quote us for 10 more seats before Thursday?',
      'We need an offer for 200 seats by the end of the month',
    ];
    for (const text of asks)
      await sendEvent({ type: 'message', channel: 'CBURST', user: 'UGUEST', ts: nextTs(), text });
    const db = proc.runtime.db.prisma;
    const burstco = await db.company.findFirstOrThrow({ where: { name: 'Burstco' } });
    const suggested = await eventually(
      'every suggestion posted',
      async () => {
        const all = await db.followUp.findMany({ where: { companyId: burstco.id, status: 'suggested' } });
        return all.length >= 5 && all.every((f) => f.messageRef) ? all : undefined;
      },
      120_000,
    );
    const cards = slack.messages.filter((m) => m.channel === TEAM_CHANNEL && /Burstco/.test(blocksText(m)));
    const topLevel = cards.filter((m) => !m.thread_ts);
    const threaded = cards.filter((m) => m.thread_ts);
    expect(topLevel.length).toBe(3);
    expect(threaded.length).toBe(suggested.length - 3);
    expect(new Set(threaded.map((m) => m.thread_ts))).toEqual(new Set([topLevel[0].ts]));
    // Each grouped card keeps its buttons and is its follow-up's card (clicks update it in its thread).
    for (const m of threaded) expect(blocksText(m)).toMatch(/Accept/);
    const grouped = suggested.filter((f) => f.messageRef!.includes(`/${topLevel[0].ts}|`));
    expect(grouped.length).toBe(threaded.length);
  });
});
