import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { DailyDigestData } from '../../../jobs/job-data.ts';
import { loggerInto, type TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { slackPrivacyDoctorCheck } from '../../../connectors/slack/slack-privacy.doctor.ts';
import { loadConfig } from '../../../src/config/env.ts';
import { createTestDatabase } from '../../helpers/test-database.ts';
import { strangerMail } from '../../helpers/unconfirmed-mail.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1'; // ours: SLACK_BOT_TOKEN's workspace
const ACME_TEAM = 'TACME'; // the customer's own Slack org (Slack Connect)
const OTHER_TEAM = 'T9'; // another workspace that also has the app, not served by this deployment
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL
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

interface Control {
  type: string;
  action_id: string;
  value?: string;
  text?: { type: 'plain_text'; text: string };
  /** A select menu (Change label): its label is the placeholder. */
  placeholder?: { type: 'plain_text'; text: string };
  options?: Array<{ text: { type: 'plain_text'; text: string }; value: string }>;
}
interface Block {
  type: string;
  elements?: Control[];
}
const labelOf = (e: Control) => (e.text ?? e.placeholder)?.text ?? '';
const buttonsOf = (m: RecordedMessage) =>
  ((m.blocks ?? []) as Block[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);

// Each test sets up its own customer, Slack Connect channel and team channel (none reads another's data),
// so any one passes alone (`-t`) and in any order.
describe('Slack Connect and guests: internal cards never reach a shared channel; outsiders run nothing', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let test: TestProcess | undefined;
  let proc: RunningProcess;
  let queues: PipelineQueues;
  let redis: ReturnType<typeof connectRedis>;
  let seq = 0;

  const post = (body: string, contentType: string, headers: Record<string, string> = {}) =>
    postSignedToSlackEvents(proc.url, SECRET, body, contentType, headers);
  /** `/crm <text>` as `userId` of `teamId` in `channelId`; resolves to the answer (response_url or channel post). */
  const command = (channelId: string, userId: string, text: string, teamId = TEAM) =>
    slackSlashCommand({ url: proc.url, slack }, { teamId, channelId, userId, text });
  const click = async (message: RecordedMessage, label: string, userId: string, userTeam: string) => {
    const button = buttonsOf(message).find((e) => labelOf(e) === label);
    if (!button) throw new Error(`no ${label} button`);
    // A select menu is clicked by choosing its first option, as Slack sends it.
    const action =
      button.type === 'static_select'
        ? {
            type: 'static_select',
            action_id: button.action_id,
            block_id: 'b',
            selected_option: button.options![0],
            placeholder: button.placeholder,
            action_ts: '1',
          }
        : {
            type: 'button',
            action_id: button.action_id,
            block_id: 'b',
            text: button.text,
            value: button.value,
            action_ts: '1',
          };
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
      actions: [action],
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
  /** An internal channel of this test's own (the rep and the admin in it). */
  const internalChannel = (name: string) => {
    const id = `C${name.toUpperCase()}${++seq}`;
    slack.channelMembers.set(id, ['UBOT', 'UREP', 'UADMIN']);
    return id;
  };
  /** A customer of this test's own and its Slack Connect channel with the customer's org, linked by our rep. */
  const sharedCustomer = async (name: string) => {
    const db = proc.runtime.db;
    const shared = `CSHARED${name.toUpperCase()}${++seq}`;
    slack.channels.set(shared, {
      is_ext_shared: true,
      is_shared: true,
      connected_team_ids: [ACME_TEAM],
      shared_team_ids: [TEAM, ACME_TEAM],
    });
    // The customer's own person (of the customer's org): `forget` in one test tombstones its contacts, whose
    // messages are then never logged again, so no two tests share one.
    const person = `U${name.toUpperCase()}${seq}`;
    slack.users.set(person, {
      team_id: ACME_TEAM,
      profile: { display_name: `${name} buyer`, email: `buyer@${name.toLowerCase()}.example` },
    });
    slack.channelMembers.set(shared, ['UBOT', 'UREP', 'UJO', person]);
    const company = await db.prisma.company.create({
      data: { name, normalizedName: normalizeCompanyName(name), domains: [`${name.toLowerCase()}.example`] },
    });
    const linked = await command(shared, 'UREP', `link ${name}`);
    // The channel has outsiders: even the link confirmation stays with the rep.
    expect(linked.method).toMatch(/^respond\//);
    expect(String(linked.body.text)).toMatch(new RegExp(`now linked to ${name}`));
    return { shared, companyId: company.id, name, person };
  };
  /** The customer's person (of the customer's org) writes in the shared channel, as Slack delivers it (and retries it once). */
  const customerSays = async ({ shared, person }: { shared: string; person: string }, text: string) => {
    const ts = tsOf(++seq);
    const event = { user: person, team: ACME_TEAM, user_team: ACME_TEAM, channel: shared, ts, text };
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
    // The first test to run may wait for the process to build its first model (CPU-bound, in process).
    await eventually(
      'the customer message logged',
      () => proc.runtime.db.prisma.message.findUnique({ where: { externalId: `slack:${TEAM}/${shared}/${ts}` } }),
      90_000,
    );
    return ts;
  };
  /** The suggestion card quoting `quote`, in `channel`. */
  const suggestionIn = (channel: string, quote: string) =>
    eventually(
      `the suggestion quoting "${quote}" in ${channel}`,
      async () =>
        slack.messages.find(
          (m) =>
            m.channel === channel &&
            /Suggested follow-up/.test(m.text ?? '') &&
            JSON.stringify(m.blocks).includes(quote),
        ),
      90_000,
    );

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: {
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`,
        // Escalate as soon as a reminder is due and still open: the lifecycle test sees the overdue card.
        RAPPORT_ESCALATE_AFTER_HOURS: '0',
        LOG_LEVEL: 'info',
      },
      name: 'slack-shared',
      logger: loggerInto(logLines, 'info'),
      beforeStart: (slack) => {
        slack.users.set('UREP', { profile: { display_name: 'ann', email: 'ann@ours.example' } });
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.users.set('UGUEST', {
          is_restricted: true,
          profile: { display_name: 'guest', email: 'guest@acme.example' },
        });
        slack.users.set('UJO', { team_id: ACME_TEAM, profile: { display_name: 'jo', email: 'jo@acme.example' } });
        slack.users.set('UOTHER', {
          team_id: OTHER_TEAM,
          profile: { display_name: 'otto', email: 'otto@elsewhere.example' },
        });
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP', 'UADMIN']);
        slack.teams.set(ACME_TEAM, { name: 'Acme', domain: 'acme', email_domain: 'acme.example' });
      },
    });
    ({ slack, test } = bot);
    proc = test.proc;
    // The process's own queues, to fire a daily digest now instead of at 09:00.
    redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    queues = createQueues(redis, test.prefix);
  });
  afterAll(async () => {
    if (queues) await closeQueues(queues);
    await redis?.quit();
    await bot?.dispose();
  });

  it('link in the Slack Connect channel, the customer speaks (top-level team_id is theirs): logged once, the suggestion goes to the team, never to the shared channel', async () => {
    const db = proc.runtime.db;
    const acme = await sharedCustomer('Acme');
    const ts = await customerSays(
      acme,
      'The dashboard keeps crashing, we are really unhappy and considering other options',
    );
    const message = await eventually('the customer message logged under our workspace', () =>
      db.prisma.message.findUnique({
        where: { externalId: `slack:${TEAM}/${acme.shared}/${ts}` },
        include: { record: true },
      }),
    );
    expect(message).toMatchObject({ direction: 'inbound', record: { companyId: acme.companyId } });
    expect(
      await db.prisma.communicationRecord.count({
        where: { sourceKey: { startsWith: `slack:${TEAM}/${acme.shared}/` } },
      }),
    ).toBe(1);
    expect(await db.prisma.message.count({ where: { externalId: { contains: acme.shared } } })).toBe(1);

    await suggestionIn(DEFAULT, 'dashboard keeps crashing');
    expect(postsTo(acme.shared)).toHaveLength(0);
  });

  it("the customer's clicks on a card are refused with a sentence; nothing changes and they never become a Rep", {
    timeout: 240_000,
  }, async () => {
    const db = proc.runtime.db;
    const initech = await sharedCustomer('Initech');
    await customerSays(initech, 'We are considering other options, the reports are wrong every week');
    const suggestion = await suggestionIn(DEFAULT, 'reports are wrong every week');
    const before = await db.prisma.followUp.findFirstOrThrow({
      where: { companyId: initech.companyId, status: 'suggested' },
    });
    const reps = await db.prisma.rep.count();
    const examples = await db.prisma.labeledExample.count();
    for (const [user, team] of [
      ['UJO', ACME_TEAM],
      ['UGUEST', TEAM],
      ['UOTHER', OTHER_TEAM],
    ] as const) {
      for (const label of ['Dismiss', 'Change label']) {
        const answer = await click(suggestion, label, user, team);
        expect(String(answer.body.text)).toMatch(OUTSIDER);
      }
    }
    expect((await db.prisma.followUp.findUniqueOrThrow({ where: { id: before.id } })).status).toBe('suggested');
    expect(await db.prisma.rep.count()).toBe(reps);
    expect(await db.prisma.labeledExample.count()).toBe(examples);
    expect(postsTo(initech.shared)).toHaveLength(0);
  });

  it('notify: refused in the shared channel, accepted in an internal one; reminders follow it, and a guest joining turns the next card away', async () => {
    const db = proc.runtime.db;
    const globex = await sharedCustomer('Globex');
    const sales = internalChannel('sales');
    const refused = await command(globex.shared, 'UREP', 'notify globex here');
    expect(String(refused.body.text)).toMatch(/people from outside the company/);
    expect(await db.prisma.teamChannel.count({ where: { companyId: globex.companyId } })).toBe(0);

    const ok = await command(sales, 'UREP', 'notify globex here');
    expect(String(ok.body.text)).toMatch(/now Globex's team channel/);
    const due = new Date(Date.now() + 1_500);
    // Typed in the shared channel: the reminder still goes to Globex's team channel.
    await command(globex.shared, 'UREP', 'remind globex in 1 minute call Jo back about the invoice');
    const f = await db.prisma.followUp.findFirstOrThrow({
      where: { companyId: globex.companyId, title: { contains: 'invoice' } },
    });
    expect(f.remindTarget).toBe(`slack:${TEAM}/${sales}`);
    await db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: due } });
    await proc.runtime.hooks.followUpChanged(f.id);
    await eventually('the reminder in the team channel', async () =>
      slack.messages.find((m) => m.channel === sales && /invoice/.test(JSON.stringify(m.blocks))),
    );

    // A guest is invited to the team channel: Slack says so, the cached answer is dropped.
    slack.users.set('UGUEST2', { is_restricted: true });
    slack.channelMembers.set(sales, ['UBOT', 'UREP', 'UADMIN', 'UGUEST2']);
    await post(
      JSON.stringify({
        token: 'legacy',
        team_id: TEAM,
        api_app_id: 'A1',
        event: {
          type: 'member_joined_channel',
          user: 'UGUEST2',
          channel: sales,
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
    await command(sales, 'UREP', 'remind globex in 1 minute send the renewal quote');
    const g = await db.prisma.followUp.findFirstOrThrow({
      where: { companyId: globex.companyId, title: { contains: 'renewal quote' } },
    });
    await db.prisma.followUp.update({ where: { id: g.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await proc.runtime.hooks.followUpChanged(g.id);
    const redirected = await eventually('the reminder redirected to the default channel', async () =>
      slack.messages.find((m) => m.channel === DEFAULT && /renewal quote/.test(JSON.stringify(m.blocks))),
    );
    expect(JSON.stringify(redirected.blocks)).toMatch(
      new RegExp(`Posted here instead of channel ${sales}: that channel has people from outside the company`),
    );
    expect(
      slack.messages.filter((m) => m.channel === sales && /renewal quote/.test(JSON.stringify(m.blocks))),
    ).toHaveLength(0);
    // Found shared: it is no longer Globex's team channel.
    expect(await db.prisma.teamChannel.count({ where: { companyId: globex.companyId } })).toBe(0);
    expect(postsTo(globex.shared)).toHaveLength(0);
    expect(updatesIn(globex.shared)).toHaveLength(0);
  });

  it('/readyz lists the linked channel with outsiders and where its cards go', async () => {
    const umbrella = await sharedCustomer('Umbrella');
    const body = (await (await fetch(`${proc.url}/readyz`)).json()) as {
      checks: Record<string, { ok: boolean; detail: string }>;
    };
    expect(body.checks['slack privacy'].ok).toBe(true);
    expect(body.checks['slack privacy'].detail).toContain(
      `slack:${TEAM}/${umbrella.shared} (customer channel of Umbrella): has people from outside the company; cards go to slack:${TEAM}/${DEFAULT}`,
    );
  });

  it('rapport doctor prints the same privacy line: from the running bot, and by asking Slack itself when no bot holds the database', async () => {
    const wayne = await sharedCustomer('Wayne');
    const line = `slack:${TEAM}/${wayne.shared} (customer channel of Wayne): has people from outside the company; cards go to slack:${TEAM}/${DEFAULT}`;
    const slackEnv = {
      RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: `${slack.baseUrl}/api/`,
    };
    // The bot holds the embedded database: doctor reads the running bot's /readyz.
    const fromBot = await slackPrivacyDoctorCheck(loadConfig({ ...slackEnv, RAPPORT_DATA_DIR: test!.dataDir }));
    expect(fromBot).toMatchObject({ name: 'slack privacy', ok: true });
    expect(fromBot.detail).toContain(line);
    // No bot on this PostgreSQL database: doctor opens it and asks Slack (conversations.info) the bot's way.
    const scratch = await createTestDatabase('postgres');
    try {
      const company = await scratch.db.prisma.company.create({
        data: { name: 'Wayne', normalizedName: normalizeCompanyName('Wayne'), domains: ['wayne.example'] },
      });
      await scratch.db.prisma.channelLink.create({
        data: { platform: 'slack', channelRef: `${TEAM}/${wayne.shared}`, companyId: company.id },
      });
      const infoCalls = slack.callsTo('conversations.info').length;
      const direct = await slackPrivacyDoctorCheck(loadConfig({ ...slackEnv, DATABASE_URL: scratch.url! }));
      expect(direct).toMatchObject({ name: 'slack privacy', ok: true });
      expect(direct.detail).toContain(line);
      expect(slack.callsTo('conversations.info').length).toBeGreaterThan(infoCalls);
    } finally {
      await scratch.dispose();
    }
  });

  it('role matrix: each command × admin, rep, guest, Slack Connect member, other workspace', async () => {
    const db = proc.runtime.db;
    const matrixCo = await sharedCustomer('Rolematrix');
    // An internal channel of its own: no other test's card lands there and is taken for an answer.
    const here = internalChannel('matrix');
    const people = {
      admin: { user: 'UADMIN', team: TEAM, channel: here },
      rep: { user: 'UREP', team: TEAM, channel: here },
      guest: { user: 'UGUEST', team: TEAM, channel: here },
      external: { user: 'UJO', team: ACME_TEAM, channel: matrixCo.shared },
      'other workspace': { user: 'UOTHER', team: OTHER_TEAM, channel: 'C9' },
    } as const;
    const commands = [
      'help',
      'lookup rolematrix',
      'followups all',
      'log rolematrix "Called about the renewal"',
      'remind rolematrix tomorrow 10am check in',
      'export rolematrix',
      'review',
      'senders',
      'forget rolematrix',
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
      Object.fromEntries(commands.map((c) => [c, c === 'forget rolematrix' ? forget : v]));
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
    expect(postsTo(matrixCo.shared)).toHaveLength(0);
  });

  it("the default channel's digest lists a new sender with Make customer: a guest's click is refused, a rep's makes the customer", async () => {
    const db = proc.runtime.db;
    await strangerMail(
      db,
      'buyer@fresh-lead.example',
      'Demo for 30 seats',
      new Date(Date.now() - 3600_000).toISOString(),
    );
    const digestJob: DailyDigestData = { target: `slack:${TEAM}/${DEFAULT}`, timezone: 'UTC' };
    await queues[QueueName.DailyDigest].add('digest', digestJob);
    const digest = await eventually('the daily digest in the default channel', async () =>
      slack.messages.find(
        (m) =>
          m.channel === DEFAULT && /Daily digest/.test(m.text ?? '') && /fresh-lead/.test(JSON.stringify(m.blocks)),
      ),
    );
    const button = buttonsOf(digest).find((e) => labelOf(e) === 'Make customer');
    // Block Kit's confirm dialog before anything changes.
    expect(JSON.stringify(button)).toMatch(/"confirm":\{.*Make fresh-lead\.example a customer\?/);

    // A guest added to the channel after the digest was posted clicks it: refused, nothing changes.
    const refused = await click(digest, 'Make customer', 'UGUEST', TEAM);
    expect(JSON.stringify(refused.body)).toMatch(OUTSIDER);
    expect(await db.prisma.company.count({ where: { domains: { has: 'fresh-lead.example' } } })).toBe(0);

    const made = await click(digest, 'Make customer', 'UREP', TEAM);
    expect(JSON.stringify(made.body)).toMatch(/Created customer Fresh Lead: 1 contact and 1 conversation moved to it/);
    const company = await db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'fresh-lead.example' } } });
    const record = await db.prisma.communicationRecord.findFirstOrThrow({ where: { subject: 'Demo for 30 seats' } });
    expect(record.companyId).toBe(company.id);
  });

  it('the whole lifecycle in a Slack Connect channel: log → classify → suggest → accept → remind → escalate → digest → forget; zero internal posts to the shared channel, every outsider click and command refused', async () => {
    const db = proc.runtime.db;
    const hooli = await sharedCustomer('Hooli');
    const team = internalChannel('hoolisales');
    expect(String((await command(team, 'UREP', 'notify hooli here')).body.text)).toMatch(/now Hooli's team channel/);
    /** The customer (another org) and a guest try everything on a card and by command: refused, nothing changes. */
    const outsidersRefused = async (card: RecordedMessage) => {
      // What a click or command could change (the pipeline itself may move on meanwhile: escalation, card refs).
      const state = () =>
        db.prisma.followUp.findMany({
          where: { companyId: hooli.companyId },
          orderBy: { id: 'asc' },
          select: { id: true, number: true, status: true, dueAt: true, assigneeRepId: true, completedAt: true },
        });
      const before = await state();
      for (const [user, userTeam] of [
        ['UJO', ACME_TEAM],
        ['UGUEST', TEAM],
      ] as const) {
        for (const b of buttonsOf(card))
          expect(String((await click(card, labelOf(b), user, userTeam)).body.text)).toMatch(OUTSIDER);
        for (const c of ['lookup hooli', 'followups all', `done ${before[0]?.number ?? 1}`, 'forget hooli'])
          expect(String((await command(hooli.shared, user, c, userTeam)).body.text)).toMatch(OUTSIDER);
      }
      expect(await state()).toEqual(before);
    };

    // log → classify → suggest: the customer's words logged once, the card in Hooli's team channel.
    await customerSays(hooli, 'Honestly we are considering other options, the sync has been broken for weeks');
    const suggestion = await suggestionIn(team, 'sync has been broken for weeks');
    const f = await db.prisma.followUp.findFirstOrThrow({ where: { companyId: hooli.companyId, status: 'suggested' } });
    await outsidersRefused(suggestion);

    // accept (our rep's click).
    const accept = buttonsOf(suggestion).find((e) => /^Accept/.test(labelOf(e)));
    expect(accept, JSON.stringify(buttonsOf(suggestion))).toBeDefined();
    await click(suggestion, labelOf(accept!), 'UREP', TEAM);
    await eventually('the suggestion accepted by the rep', async () => {
      const now = await db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } });
      return now.status !== 'suggested' ? now : undefined;
    });

    // remind: due now, the reminder goes to the team channel.
    const mark = slack.messages.length;
    await db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await proc.runtime.hooks.followUpChanged(f.id);
    const reminder = await eventually('the reminder of the accepted follow-up', async () =>
      slack.messages.slice(mark).find((m) => m.channel === team && /Reminder/.test(m.text ?? '')),
    );

    // escalate: still open after it was due (RAPPORT_ESCALATE_AFTER_HOURS=0), to the team channel too.
    const escalation = await eventually(
      'the overdue (escalation) card',
      async () => slack.messages.slice(mark).find((m) => m.channel === team && /Overdue follow-up/.test(m.text ?? '')),
      30_000,
    );
    await outsidersRefused(reminder);
    await outsidersRefused(escalation);

    // digest: the team channel's daily digest (its scheduler's job, fired now) lists Hooli's open follow-up.
    const digestJob: DailyDigestData = { target: `slack:${TEAM}/${team}`, timezone: 'UTC' };
    await queues[QueueName.DailyDigest].add('digest', digestJob);
    const digest = await eventually('the daily digest in the team channel', async () =>
      slack.messages.find((m) => m.channel === team && /Daily digest/.test(m.text ?? '')),
    );
    expect(JSON.stringify(digest.blocks)).toMatch(/Hooli/);

    // forget (admin, confirmed): the cards that quoted Hooli are erased in place, in the team channel only.
    const ask = await command(team, 'UADMIN', 'forget hooli');
    const confirm = /forget \\?"?Hooli\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();
    await command(team, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await db.prisma.company.count({ where: { id: hooli.companyId } })).toBe(0);
    await eventually('the suggestion card erased in place', async () =>
      updatesIn(team).find((c) => c.body.ts === suggestion.ts && /[Ee]rased/.test(JSON.stringify(c.body))),
    );

    // Zero internal posts (or updates) to the shared channel, and no card shown there to anyone.
    expect(postsTo(hooli.shared)).toHaveLength(0);
    expect(updatesIn(hooli.shared)).toHaveLength(0);
    expect(
      slack
        .callsTo('chat.postEphemeral')
        .filter(
          (c) => c.body.channel === hooli.shared && /Suggested|Reminder|Overdue|digest/.test(JSON.stringify(c.body)),
        ),
    ).toHaveLength(0);
  }, 180_000);
});
