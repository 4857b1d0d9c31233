import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackSignature } from '../../helpers/slack-requests.ts';
import type { RecordedCall, RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const TEAM_CHANNEL = 'CTEAM';

/** Signs like Slack: v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>"). */
const sign = (body: string, timestamp: number, secret = SECRET) => slackSignature(body, timestamp, secret);

interface Block {
  type: string;
  text?: { text: string };
  elements?: Array<{
    type: string;
    action_id: string;
    value?: string;
    text?: { type: 'plain_text'; text: string };
    placeholder?: { text: string };
  }>;
}

const buttonsOf = (m: RecordedMessage | RecordedCall['body']) =>
  ((m.blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
const blocksText = (m: RecordedMessage) => JSON.stringify(m.blocks);

// Tests run in any order (issue 16): they share one process and one recording Web API, so each test
// looks only at the records, follow-ups and posts it made (posts after a mark taken when it starts).
describe('Slack end to end: signed requests through Bolt, the real pipeline on PGlite, a recording Web API', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let proc: RunningProcess;
  let triggers = 0;

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${TEAM_CHANNEL}`, LOG_LEVEL: 'info' },
      name: 'slack',
      logger: loggerInto(logLines, 'info'),
    });
    slack = bot.slack;
    proc = bot.test.proc;
  });

  afterAll(async () => {
    await bot?.dispose();
  });

  type SignOptions = { timestamp?: number; secret?: string; headers?: Record<string, string> };
  function signedHeaders(body: string, contentType: string, opts: SignOptions): Record<string, string> {
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    return {
      'Content-Type': contentType,
      'X-Slack-Request-Timestamp': String(ts),
      'X-Slack-Signature': sign(body, ts, opts.secret),
      ...opts.headers,
    };
  }

  async function postSigned(body: string, contentType = 'application/x-www-form-urlencoded', opts: SignOptions = {}) {
    return fetch(`${proc.url}/slack/events`, { method: 'POST', headers: signedHeaders(body, contentType, opts), body });
  }

  /**
   * One request on a connection of its own, for the refused ones: with seed 21 the next pooled fetch
   * after them (another test's) was reset (ECONNRESET; twice, once before this change). Why the pooled
   * socket died is not pinned down (a keep-alive close racing the reuse on a loaded machine?).
   */
  function postAlone(body: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(`${proc.url}/slack/events`, { method: 'POST', headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  function slashCommand(text: string, opts: { user?: string; channel?: string; triggerId?: string } = {}) {
    const triggerId = opts.triggerId ?? `trigger-${++triggers}`;
    const form = new URLSearchParams({
      token: 'legacy',
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: opts.channel ?? 'CSALES',
      channel_name: 'sales',
      user_id: opts.user ?? 'U1',
      user_name: 'jo',
      command: '/crm',
      text,
      api_app_id: 'A1',
      response_url: slack.responseUrl(`command-${triggerId}`),
      trigger_id: triggerId,
    });
    return { body: form.toString(), responsePath: `respond/command-${triggerId}` };
  }

  function click(message: RecordedMessage, buttonLabel: string, user: string) {
    const button = buttonsOf(message).find((e) => e.text?.text === buttonLabel);
    if (!button) throw new Error(`no ${buttonLabel} button in ${blocksText(message)}`);
    const triggerId = `trigger-${++triggers}`;
    const payload = {
      type: 'block_actions',
      team: { id: TEAM, domain: 'acme' },
      user: { id: user, username: user.toLowerCase(), team_id: TEAM },
      api_app_id: 'A1',
      token: 'legacy',
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
      trigger_id: triggerId,
      channel: { id: message.channel, name: 'team' },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
      response_url: slack.responseUrl(`click-${triggerId}`),
      actions: [
        {
          type: 'button',
          action_id: button.action_id,
          block_id: 'b',
          text: button.text,
          value: button.value,
          action_ts: String(Date.now() / 1000),
        },
      ],
    };
    return {
      body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      responsePath: `respond/click-${triggerId}`,
    };
  }

  const deliveries = (key: string) => slack.messages.filter((m) => m.metadata?.event_payload.key === key);

  it('log -> suggestion with buttons -> Accept -> card updated -> reminder -> Done -> card shows done; a retried command logs once', async () => {
    const db = proc.runtime.db;
    const mark = slack.messages.length;
    const posts = () => slack.messages.slice(mark).filter((m) => m.channel === TEAM_CHANNEL);
    const cmd = slashCommand('log acme "The dashboard keeps crashing, we are really unhappy" --new');
    const started = Date.now();
    const res = await postSigned(cmd.body);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000); // acknowledged within Slack's 3 seconds

    const answer = await eventually('the ephemeral answer to /crm', async () => slack.callsTo(cmd.responsePath)[0]);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.body.text)).toMatch(/acme/i);

    // Slack retries a command it thinks timed out with the same trigger id: nothing is logged twice.
    expect((await postSigned(cmd.body)).status).toBe(200);
    await eventually('the answer to the retried command', async () => slack.callsTo(cmd.responsePath).length === 2);
    const logged = { text: { contains: 'The dashboard keeps crashing' } };
    expect(await db.prisma.message.count({ where: logged })).toBe(1);
    const { recordId } = await db.prisma.message.findFirstOrThrow({ where: logged });
    expect(
      await db.prisma.communicationRecord.count({
        where: { company: { name: { equals: 'acme', mode: 'insensitive' } } },
      }),
    ).toBe(1);

    const suggestion = await eventually('the suggestion in the team channel', async () =>
      posts().find((m) => /Suggested follow-up/.test(m.text ?? '')),
    );
    // The post lands in Slack a moment before the delivery job records it on the follow-up.
    const followUp = await eventually(
      'the suggestion recorded on its follow-up',
      async () => (await db.prisma.followUp.findFirst({ where: { recordId, messageRef: { not: null } } })) ?? undefined,
    );
    expect(followUp.status).toBe('suggested');
    expect(followUp.messageRef).toBe(`slack:${TEAM}/${TEAM_CHANNEL}|${suggestion.ts}`);
    expect(suggestion.metadata?.event_type).toBe('rapport_delivery');
    expect(buttonsOf(suggestion).map((b) => b.text?.text)).toEqual(expect.arrayContaining(['Accept', 'Dismiss']));
    expect(buttonsOf(suggestion).find((b) => b.text?.text === 'Accept')?.value).toBe(`accept ${followUp.number}`);
    const actor = await db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: `slack:${TEAM}/U1` } } });
    expect(actor).toMatchObject({ platformUserIds: [`slack:${TEAM}/U1`], timezone: 'Europe/Berlin', name: 'user-u1' }); // users.info tz and name

    // Accept, clicked by U2 in the channel.
    const accept = click(suggestion, 'Accept', 'U2');
    expect((await postSigned(accept.body)).status).toBe(200);
    await eventually(
      'the follow-up to open',
      async () => (await db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).status === 'open',
    );
    const acceptAnswer = await eventually(
      'the ephemeral result of the click',
      async () => slack.callsTo(accept.responsePath)[0],
    );
    expect(acceptAnswer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    await eventually('the suggestion card updated in place without Accept', async () =>
      slack
        .callsTo('chat.update')
        .some((c) => c.body.ts === suggestion.ts && !buttonsOf(c.body).some((b) => b.text?.text === 'Accept')),
    );

    // Make it due now: the reminder is posted with Done / Snooze / Reassign.
    await db.prisma.followUp.update({ where: { id: followUp.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await proc.runtime.hooks.followUpChanged(followUp.id);
    const reminder = await eventually('the reminder in the team channel', async () =>
      posts().find((m) => /Reminder/.test(blocksText(m))),
    );
    // The post lands a moment before the delivery job records it (the refresh after Done needs it).
    await eventually('the reminder recorded on its follow-up', async () =>
      (await db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).messageRef?.endsWith(
        `|${reminder.ts}`,
      ),
    );
    expect(buttonsOf(reminder).map((b) => b.text?.text ?? b.placeholder?.text)).toEqual(
      expect.arrayContaining(['Done', 'Snooze']),
    );

    // Done, clicked by U3: the reminder card now says who closed it, with no buttons.
    const done = click(reminder, 'Done', 'U3');
    expect((await postSigned(done.body)).status).toBe(200);
    const updated = await eventually('the reminder card to show Done', async () =>
      reminder.edited && /Marked done/.test(blocksText(reminder)) ? reminder : undefined,
    );
    expect(buttonsOf(updated)).toEqual([]);
    expect(blocksText(updated)).toContain('user-u3');
    expect((await db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).status).toBe('done');
    // Every post happened once.
    expect(posts().map((m) => m.ts)).toEqual([suggestion.ts, reminder.ts]);
  });

  it('reads /crm as typed: addresses and domains Slack sent as links are found, & < > are stored unescaped', async () => {
    const db = proc.runtime.db;
    const company = await db.prisma.company.create({
      data: { name: 'Escapade Ltd', normalizedName: 'escapade', domains: ['escapade.example'] },
    });
    await db.prisma.contact.create({
      data: {
        companyId: company.id,
        name: 'Ines Ortega',
        normalizedName: 'ines ortega',
        emails: ['ines@escapade.example'],
      },
    });
    // What Slack sends (should_escape) for `/crm log Escapade "Ines & Bob want <5 seats" ` and lookups typed as an address or domain.
    const log = slashCommand('log Escapade "Ines &amp; Bob want &lt;5 seats, reply to &lt;ines@escapade.example&gt;"');
    expect((await postSigned(log.body)).status).toBe(200);
    const logged = await eventually('the answer to /crm log', async () => slack.callsTo(log.responsePath)[0]);
    expect(String(logged.body.text)).toMatch(/Escapade/);
    const message = await db.prisma.message.findFirstOrThrow({ where: { record: { companyId: company.id } } });
    expect(message.text).toBe('Ines & Bob want <5 seats, reply to <ines@escapade.example>');
    for (const typed of [
      '<mailto:ines@escapade.example|ines@escapade.example>',
      '<http://escapade.example|escapade.example>',
    ]) {
      const lookup = slashCommand(`lookup ${typed}`);
      expect((await postSigned(lookup.body)).status).toBe(200);
      const answer = await eventually(
        `the answer to /crm lookup ${typed}`,
        async () => slack.callsTo(lookup.responsePath)[0],
      );
      expect(JSON.stringify(answer.body)).toContain('Escapade Ltd');
      expect(JSON.stringify(answer.body)).not.toContain('No customer');
    }
    // The log's suggestion card, before the test ends (the tests share the team channel and look at its posts).
    const card = await eventually('the suggestion for Escapade', async () =>
      slack.messages.find((m) => /Escapade/.test(m.text ?? '')),
    );
    expect(card.channel).toBe(TEAM_CHANNEL);
  });

  it('waits out a 429 from chat.postMessage and then posts exactly once', async () => {
    // Only Globex's post is failed: another test's pipeline may post meanwhile (tests run in any order).
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 }, (body) =>
      /Globex/.test(String(body.text)),
    );
    const before = slack.callsTo('chat.postMessage').length;
    const cmd = slashCommand('log "Globex" "We are cancelling our contract, very disappointed" --new');
    expect((await postSigned(cmd.body)).status).toBe(200);
    const posted = await eventually(
      'the suggestion for Globex',
      async () => slack.messages.find((m) => /Globex/.test(m.text ?? '')),
      20_000,
    );
    const key = posted.metadata!.event_payload.key as string;
    expect(deliveries(key)).toHaveLength(1);
    const attempts = slack
      .callsTo('chat.postMessage')
      .slice(before)
      .filter((c) => (c.body.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key === key);
    expect(attempts).toHaveLength(2); // the 429, then the post after Retry-After
  });

  it('rejects forged, stale and malformed requests with 401, logs them, and runs nothing', async () => {
    const before = slack.calls.length;
    const cmd = slashCommand('log acme "should never be logged"');
    const form = 'application/x-www-form-urlencoded';
    const forged = await postAlone(cmd.body, signedHeaders(cmd.body, form, { secret: 'not-the-secret' }));
    const stale = await postAlone(
      cmd.body,
      signedHeaders(cmd.body, form, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }),
    );
    const unsigned = await postAlone(
      cmd.body,
      signedHeaders(cmd.body, form, { headers: { 'X-Slack-Signature': 'garbage' } }),
    );
    const noTimestamp = await postAlone(cmd.body, { 'Content-Type': form, 'X-Slack-Signature': 'v0=00' });
    expect([forged, stale, unsigned, noTimestamp]).toEqual([401, 401, 401, 401]);
    await new Promise((r) => setTimeout(r, 300));
    // auth.test is the process's own token check (Bolt and Rapport ask as they start), not something a
    // request ran: when this test runs first, those may still be arriving.
    expect(slack.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(
      await proc.runtime.db.prisma.message.count({ where: { text: { contains: 'should never be logged' } } }),
    ).toBe(0);
    expect(logLines.filter((l) => l.includes('Request verification failed')).length).toBeGreaterThanOrEqual(4);
  });
});
