import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto, startTestProcess, type TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { SlackRecorder, type RecordedCall, type RecordedMessage } from '../../helpers/slack-recorder.ts';
import { postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';

const SECRET = 'test-signing-secret-0123456789';
const TEAM = 'T1'; // ours: SLACK_BOT_TOKEN's workspace
const ACME_TEAM = 'TACME'; // the customer's own Slack org (Slack Connect)
const OTHER_TEAM = 'T9'; // another workspace that also has the app, not served by this deployment
const SHARED = 'CSHARED'; // Slack Connect channel with Acme
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL
const SALES = 'CSALES'; // an internal channel the team picks for Acme's cards
const tsOf = (n: number) => `1763900000.${String(n).padStart(6, '0')}`;
const OUTSIDER = /people from outside that team \(guests and other organisations\) cannot use it/;
const ADMIN_ONLY = /Only a Rapport admin can/;

/** Slack Connect message event as Slack sends it to the host: the top-level team_id is the author's org, authorizations[0] is ours. */
function sharedChannelEvent(event: Record<string, unknown>, eventId: string, authorTeam: string): string {
  return JSON.stringify({
    token: 'legacy',
    team_id: authorTeam,
    context_team_id: authorTeam,
    api_app_id: 'A1',
    event: { type: 'message', channel_type: 'channel', event_ts: event.ts, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: TEAM, user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: true,
  });
}

interface Block {
  type: string;
  elements?: Array<{ type: string; action_id: string; value?: string; text?: { type: 'plain_text'; text: string } }>;
}
const buttonsOf = (m: RecordedMessage) =>
  ((m.blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);

describe('Slack Connect and guests: internal cards never reach a shared channel; outsiders run nothing', () => {
  const slack = new SlackRecorder();
  const logLines: string[] = [];
  let test: TestProcess | undefined;
  let proc: RunningProcess;
  let seq = 0;
  let acmeId: string;

  const post = (body: string, contentType: string, headers: Record<string, string> = {}) =>
    postSignedToSlackEvents(proc.url, SECRET, body, contentType, headers);
  /** `/crm <text>` as `userId` of `teamId` in `channelId`; resolves to the answer (response_url or channel post). */
  const command = async (channelId: string, userId: string, text: string, teamId = TEAM): Promise<RecordedCall> => {
    const triggerId = `trigger-${++seq}`;
    const posts = slack.callsTo('chat.postMessage').length;
    const res = await post(
      slashCommandBody({
        teamId,
        channelId,
        userId,
        text,
        triggerId,
        responseUrl: slack.responseUrl(`cmd-${triggerId}`),
      }),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    return eventually(
      `the answer to /crm ${text} by ${userId}`,
      async () =>
        slack.callsTo(`respond/cmd-${triggerId}`)[0] ??
        slack
          .callsTo('chat.postMessage')
          .slice(posts)
          .find((c) => c.body.channel === channelId),
    );
  };
  const click = async (message: RecordedMessage, label: string, userId: string, userTeam: string) => {
    const button = buttonsOf(message).find((e) => e.text?.text === label);
    if (!button) throw new Error(`no ${label} button`);
    const triggerId = `trigger-${++seq}`;
    const payload = {
      type: 'block_actions',
      team: { id: userTeam, domain: 'x' },
      user: { id: userId, username: userId.toLowerCase(), team_id: userTeam },
      api_app_id: 'A1',
      token: 'legacy',
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
      trigger_id: triggerId,
      channel: { id: message.channel, name: 'x' },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
      response_url: slack.responseUrl(`click-${triggerId}`),
      actions: [
        {
          type: 'button',
          action_id: button.action_id,
          block_id: 'b',
          text: button.text,
          value: button.value,
          action_ts: '1',
        },
      ],
    };
    const res = await post(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    return eventually(`the answer to ${userId}'s click`, async () => slack.callsTo(`respond/click-${triggerId}`)[0]);
  };
  const postsTo = (channel: string) => slack.callsTo('chat.postMessage').filter((c) => c.body.channel === channel);
  const updatesIn = (channel: string) => slack.callsTo('chat.update').filter((c) => c.body.channel === channel);

  beforeAll(async () => {
    const apiUrl = await slack.start();
    slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
    slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
    slack.users.set('UGUEST', { is_restricted: true, profile: { display_name: 'guest', email: 'guest@acme.example' } });
    slack.users.set('UJO', { team_id: ACME_TEAM, profile: { display_name: 'jo', email: 'jo@acme.example' } });
    slack.users.set('UOTHER', {
      team_id: OTHER_TEAM,
      profile: { display_name: 'otto', email: 'otto@elsewhere.example' },
    });
    slack.channels.set(SHARED, {
      is_ext_shared: true,
      is_shared: true,
      connected_team_ids: [ACME_TEAM],
      shared_team_ids: [TEAM, ACME_TEAM],
    });
    slack.channelMembers.set(SHARED, ['UBOT', 'UREP', 'UJO']);
    slack.channelMembers.set(SALES, ['UBOT', 'UREP', 'UADMIN']);
    slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP', 'UADMIN']);
    slack.teams.set(ACME_TEAM, { name: 'Acme', domain: 'acme', email_domain: 'acme.example' });
    test = await startTestProcess(
      'pglite',
      {
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`,
        // Escalate as soon as a reminder is due and still open: the lifecycle test sees the overdue card.
        RAPPORT_ESCALATE_AFTER_HOURS: '0',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_API_URL: apiUrl,
        LOG_LEVEL: 'info',
      },
      { name: 'slack-shared', logger: loggerInto(logLines, 'info') },
    );
    proc = test.proc;
    acmeId = (
      await proc.runtime.db.prisma.company.create({
        data: { name: 'Acme', normalizedName: normalizeCompanyName('Acme'), domains: ['acme.example'] },
      })
    ).id;
  });
  afterAll(async () => {
    await test?.dispose();
    await slack.stop();
  });

  it('link in the Slack Connect channel, the customer speaks (top-level team_id is theirs): logged once, the suggestion goes to the team, never to the shared channel', async () => {
    const db = proc.runtime.db;
    const linked = await command(SHARED, 'UREP', 'link acme');
    // The channel has outsiders: even the link confirmation stays with the rep.
    expect(linked.method).toMatch(/^respond\//);
    expect(String(linked.body.text)).toMatch(/now linked to Acme/);

    const ts = tsOf(++seq);
    const event = {
      user: 'UJO',
      team: ACME_TEAM,
      user_team: ACME_TEAM,
      channel: SHARED,
      ts,
      text: 'The dashboard keeps crashing, we are really unhappy and considering other options',
    };
    const eventId = `Ev${++seq}`;
    const statuses = await Promise.all(
      [undefined, '1'].map((n) =>
        post(
          sharedChannelEvent(event, eventId, ACME_TEAM),
          'application/json',
          n ? { 'X-Slack-Retry-Num': n, 'X-Slack-Retry-Reason': 'http_timeout' } : {},
        ).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual([200, 200]);
    const message = await eventually('the customer message logged under our workspace', () =>
      db.prisma.message.findUnique({
        where: { externalId: `slack:${TEAM}/${SHARED}/${ts}` },
        include: { record: true },
      }),
    );
    expect(message).toMatchObject({ direction: 'inbound', record: { companyId: acmeId } });
    expect(
      await db.prisma.communicationRecord.count({ where: { sourceKey: { startsWith: `slack:${TEAM}/${SHARED}/` } } }),
    ).toBe(1);
    expect(await db.prisma.message.count({ where: { externalId: { contains: SHARED } } })).toBe(1);

    const suggestion = await eventually('the suggestion in the default team channel', async () =>
      slack.messages.find((m) => m.channel === DEFAULT && /Suggested follow-up/.test(m.text ?? '')),
    );
    expect(JSON.stringify(suggestion.blocks)).toMatch(/dashboard keeps crashing/);
    expect(postsTo(SHARED)).toHaveLength(0);
  });

  it("the customer's clicks on a card are refused with a sentence; nothing changes and they never become a Rep", async () => {
    const db = proc.runtime.db;
    const suggestion = slack.messages.find((m) => m.channel === DEFAULT && /Suggested follow-up/.test(m.text ?? ''))!;
    const before = await db.prisma.followUp.findFirstOrThrow({ where: { companyId: acmeId, status: 'suggested' } });
    const reps = await db.prisma.rep.count();
    for (const [user, team] of [
      ['UJO', ACME_TEAM],
      ['UGUEST', TEAM],
      ['UOTHER', OTHER_TEAM],
    ] as const) {
      const answer = await click(suggestion, 'Dismiss', user, team);
      expect(String(answer.body.text)).toMatch(OUTSIDER);
    }
    expect((await db.prisma.followUp.findUniqueOrThrow({ where: { id: before.id } })).status).toBe('suggested');
    expect(await db.prisma.rep.count()).toBe(reps);
    expect(await db.prisma.labeledExample.count()).toBe(0);
  });

  it('notify: refused in the shared channel, accepted in an internal one; reminders follow it, and a guest joining turns the next card away', async () => {
    const db = proc.runtime.db;
    const refused = await command(SHARED, 'UREP', 'notify acme here');
    expect(String(refused.body.text)).toMatch(/people from outside the company/);
    expect(await db.prisma.teamChannel.count()).toBe(0);

    const ok = await command(SALES, 'UREP', 'notify acme here');
    expect(String(ok.body.text)).toMatch(/now Acme's team channel/);
    const due = new Date(Date.now() + 1_500);
    // Typed in the shared channel: the reminder still goes to Acme's team channel.
    await command(SHARED, 'UREP', 'remind acme in 1 minute call Jo back about the invoice');
    const f = await db.prisma.followUp.findFirstOrThrow({ where: { title: { contains: 'invoice' } } });
    expect(f.remindTarget).toBe(`slack:${TEAM}/${SALES}`);
    await db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: due } });
    await proc.runtime.hooks.followUpChanged(f.id);
    await eventually('the reminder in the team channel', async () =>
      slack.messages.find((m) => m.channel === SALES && /invoice/.test(JSON.stringify(m.blocks))),
    );

    // A guest is invited to the team channel: Slack says so, the cached answer is dropped.
    slack.users.set('UGUEST2', { is_restricted: true });
    slack.channelMembers.set(SALES, ['UBOT', 'UREP', 'UADMIN', 'UGUEST2']);
    await post(
      JSON.stringify({
        token: 'legacy',
        team_id: TEAM,
        api_app_id: 'A1',
        event: {
          type: 'member_joined_channel',
          user: 'UGUEST2',
          channel: SALES,
          channel_type: 'C',
          team: TEAM,
          inviter: 'UREP',
        },
        type: 'event_callback',
        event_id: `Ev${++seq}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          { enterprise_id: null, team_id: TEAM, user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
        ],
      }),
      'application/json',
    );
    await eventually(
      'the membership change seen',
      async () => logLines.some((l) => l.includes('member_joined_channel')) || true,
    );
    await command(SALES, 'UREP', 'remind acme in 1 minute send the renewal quote');
    const g = await db.prisma.followUp.findFirstOrThrow({ where: { title: { contains: 'renewal quote' } } });
    await db.prisma.followUp.update({ where: { id: g.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await proc.runtime.hooks.followUpChanged(g.id);
    const redirected = await eventually('the reminder redirected to the default channel', async () =>
      slack.messages.find((m) => m.channel === DEFAULT && /renewal quote/.test(JSON.stringify(m.blocks))),
    );
    expect(JSON.stringify(redirected.blocks)).toMatch(
      /Posted here instead of channel CSALES: that channel has people from outside the company/,
    );
    expect(
      slack.messages.filter((m) => m.channel === SALES && /renewal quote/.test(JSON.stringify(m.blocks))),
    ).toHaveLength(0);
    // Found shared: it is no longer Acme's team channel.
    expect(await db.prisma.teamChannel.count()).toBe(0);
    expect(postsTo(SHARED)).toHaveLength(0);
    expect(updatesIn(SHARED)).toHaveLength(0);
  });

  it('/readyz lists the linked channel with outsiders and where its cards go', async () => {
    const body = (await (await fetch(`${proc.url}/readyz`)).json()) as {
      checks: Record<string, { ok: boolean; detail: string }>;
    };
    expect(body.checks['slack privacy']).toMatchObject({
      ok: true,
      detail: `slack:${TEAM}/${SHARED} (customer channel of Acme): has people from outside the company; cards go to slack:${TEAM}/${DEFAULT}`,
    });
  });

  it('role matrix: each command × admin, rep, guest, Slack Connect member, other workspace', async () => {
    const db = proc.runtime.db;
    const people = {
      admin: { user: 'UADMIN', team: TEAM, channel: DEFAULT },
      rep: { user: 'UREP', team: TEAM, channel: DEFAULT },
      guest: { user: 'UGUEST', team: TEAM, channel: DEFAULT },
      external: { user: 'UJO', team: ACME_TEAM, channel: SHARED },
      'other workspace': { user: 'UOTHER', team: OTHER_TEAM, channel: 'C9' },
    } as const;
    const commands = [
      'help',
      'lookup acme',
      'followups all',
      'log acme "Called about the renewal"',
      'remind acme tomorrow 10am check in',
      'export acme',
      'review',
      'forget acme',
    ];
    const outcome = (text: string) =>
      OUTSIDER.test(text) ? 'refused' : ADMIN_ONLY.test(text) ? 'admin only' : 'allowed';
    const matrix: Record<string, Record<string, string>> = {};
    for (const [who, p] of Object.entries(people)) {
      matrix[who] = {};
      for (const c of commands)
        matrix[who][c] = outcome(String((await command(p.channel, p.user, c, p.team)).body.text));
    }
    const row = (v: string, forget = v) =>
      Object.fromEntries(commands.map((c) => [c, c === 'forget acme' ? forget : v]));
    expect(matrix).toEqual({
      admin: row('allowed'),
      rep: row('allowed', 'admin only'),
      guest: row('refused'),
      external: row('refused'),
      'other workspace': row('refused'),
    });
    // Nobody outside became a Rep or wrote anything.
    const reps = await db.prisma.rep.findMany({ select: { platformUserIds: true } });
    expect(reps.flatMap((r) => r.platformUserIds).sort()).toEqual([`slack:${TEAM}/UADMIN`, `slack:${TEAM}/UREP`]);
    expect(postsTo(SHARED)).toHaveLength(0);
  });
  it('the rest of the lifecycle in the Slack Connect setup: accept → reminder due → escalation → forget, and zero internal posts to the shared channel', async () => {
    const db = proc.runtime.db;
    const suggestion = slack.messages.find((m) => m.channel === DEFAULT && /Suggested follow-up/.test(m.text ?? ''))!;
    const f = await db.prisma.followUp.findFirstOrThrow({ where: { companyId: acmeId, status: 'suggested' } });
    const accept = buttonsOf(suggestion).find((e) => /^Accept/.test(e.text?.text ?? ''));
    expect(accept, JSON.stringify(buttonsOf(suggestion))).toBeDefined();
    const payload = {
      type: 'block_actions',
      team: { id: TEAM, domain: 'x' },
      user: { id: 'UREP', username: 'urep', team_id: TEAM },
      api_app_id: 'A1',
      token: 'legacy',
      container: { type: 'message', message_ts: suggestion.ts, channel_id: DEFAULT, is_ephemeral: false },
      trigger_id: `trigger-${++seq}`,
      channel: { id: DEFAULT, name: 'x' },
      message: { type: 'message', ts: suggestion.ts, text: suggestion.text, blocks: suggestion.blocks },
      response_url: slack.responseUrl(`accept-${seq}`),
      actions: [
        {
          type: 'button',
          action_id: accept!.action_id,
          block_id: 'b',
          text: accept!.text,
          value: accept!.value,
          action_ts: '1',
        },
      ],
    };
    const res = await post(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    await eventually('the suggestion accepted by the rep', async () => {
      const now = await db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } });
      return now.status !== 'suggested' ? now : undefined;
    });

    // Due now: the reminder goes to the team side (the default channel), never to the shared one.
    const reminders = slack.messages.length;
    await db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await proc.runtime.hooks.followUpChanged(f.id);
    await eventually('the reminder of the accepted follow-up', async () =>
      slack.messages.slice(reminders).find((m) => m.channel === DEFAULT),
    );
    // Still open after it was due: escalated, to the team side too.
    await eventually(
      'the overdue (escalation) card',
      async () =>
        slack.messages.slice(reminders).find((m) => m.channel === DEFAULT && /Overdue follow-up/.test(m.text ?? '')),
      30_000,
    );

    // forget (admin, confirmed): the cards that quoted Acme are erased in place, in the team channel only.
    const ask = await command(DEFAULT, 'UADMIN', 'forget acme');
    const confirm = /forget \\?"?Acme\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();
    await command(DEFAULT, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await db.prisma.company.count({ where: { id: acmeId } })).toBe(0);
    await eventually('the suggestion card erased in place', async () =>
      updatesIn(DEFAULT).find((c) => c.body.ts === suggestion.ts && /[Ee]rased/.test(JSON.stringify(c.body))),
    );
    expect(postsTo(SHARED)).toHaveLength(0);
    expect(updatesIn(SHARED)).toHaveLength(0);
    expect(
      slack.callsTo('chat.postEphemeral').filter((c) => /Suggested|Reminder/.test(JSON.stringify(c.body))),
    ).toHaveLength(0);
  }, 90_000);
});
