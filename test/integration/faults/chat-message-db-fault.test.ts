import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { killAtHeldWrite } from '../../helpers/kill-at-held-write.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackWorkspace } from '../../helpers/slack-command.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { TEAMS_AUTO_LOG_RETRY_DELAYS_MS } from '../../../connectors/teams/teams-bot.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM';
const CHANNEL = 'CACME';
const GUEST = 'UACMEGUEST';

/**
 * Slack has the 200 for a message event before Rapport writes the message (Bolt acknowledges first),
 * and does not send it again. When the write fails because the database connection went (a failover,
 * a PostgreSQL restart, an idle connection cut), the customer's message must still be logged: the
 * connection that was writing it is terminated under the bot (a real PostgreSQL, the bot's own pool).
 */
describe('a Slack message whose write loses its database connection', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  const logLines: string[] = [];
  const { command, message } = slackWorkspace(() => ({ url: proc.url, slack }), TEAM, DEFAULT);

  beforeAll(async () => {
    bot = await startSlackTestBot({
      database: 'postgres',
      // A web process (as behind a load balancer): no jobs of its own touch the Message table meanwhile.
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`, RAPPORT_ROLE: 'web' },
      name: 'slack-message-db-fault',
      logger: loggerInto(logLines, 'warn'),
      beforeStart: (slack) => {
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.users.set(GUEST, { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.example' } });
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UADMIN']);
        slack.channelMembers.set(CHANNEL, ['UBOT', 'UADMIN', GUEST]);
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
    await proc.runtime.db.prisma.company.create({
      data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] },
    });
    expect(String((await command(CHANNEL, 'UADMIN', 'link acme')).body.text)).toMatch(/now linked to/);
  }, 120_000);
  afterAll(async () => {
    await bot?.dispose();
  });

  it('is logged once, by a retry, after the connection writing it was terminated', async () => {
    const ts = '1763960000.000100';
    const externalId = `slack:${TEAM}/${CHANNEL}/${ts}`;
    const since = logLines.length;
    await killAtHeldWrite({
      databaseUrl: proc.runtime.config.databaseUrl!,
      table: 'Message',
      what: "the bot waiting on its write of the customer's message",
      act: () => message({ channel: CHANNEL, user: GUEST, ts, text: 'Our invoice is wrong again, please fix it' }),
      // Nobody is killed: the bot's connection is (its statement ends with "terminating connection").
      kill: async () => {},
    });
    const logged = await eventually(
      'the message logged',
      () => proc.runtime.db.prisma.message.findMany({ where: { externalId } }).then((m) => (m.length ? m : undefined)),
      60_000,
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ direction: 'inbound', text: 'Our invoice is wrong again, please fix it' });
    // It was the retry that wrote it: the first try failed with the connection.
    expect(logLines.slice(since).some((l) => l.includes('trying again'))).toBe(true);
  }, 120_000);
});

const tenant = { id: 'tenant-ours' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const jo = { id: '29:jo', name: 'Jo Acme', aadObjectId: 'aad-jo' };

/**
 * The same on Teams, where the message is written while Teams waits for the answer: the write is tried
 * again within the request, and a failure that stays answers 500 (Teams may deliver it again) without
 * an apology from the bot in the customer's channel, which only the rep who typed a command should get.
 */
describe('a Teams channel message whose write loses its database connection', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;
  const id = `19:db-fault-${randomUUID().slice(0, 8)}@thread.tacv2`;
  const conversation = { id, conversationType: 'channel', isGroup: true, tenantId: tenant.id };
  const channelData = { tenant, channel: { id } };
  /** A channel message as Teams sends it; `send` delivers it (again: the same activity). */
  const message = (from: typeof ann, text: string, extra: Record<string, unknown> = {}) => {
    const messageId = String(Date.now() * 1000 + Math.floor(Math.random() * 1000));
    const activity = rapport.activity(
      { ...conversation, id: `${id};messageid=${messageId}` },
      { type: 'message', id: messageId, from, text, channelData, ...extra },
    );
    return { messageId, send: () => rapport.send(activity) };
  };

  beforeAll(async () => {
    await recorder.start();
    recorder.setMembers(id, [
      { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' },
      { ...jo, email: 'jo@acme.com', tenantId: 'tenant-acme', userRole: 'user' },
    ]);
    rapport = await startTeamsProcess('postgres', recorder, {
      // A web process (as behind a load balancer): no jobs of its own (classification, insights) touch
      // the Message table while the test holds it, so every write it cuts is the customer's message.
      RAPPORT_ROLE: 'web',
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      MICROSOFT_APP_TENANT_ID: tenant.id,
    });
    await db().company.create({ data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.com'] } });
    const added = await rapport.send(
      rapport.activity(conversation, { type: 'conversationUpdate', membersAdded: [TEST_BOT], channelData }),
    );
    expect(added.status).toBe(200);
    const link = message(ann, '<at>Rapport</at> link acme', {
      entities: [{ type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT }],
    });
    expect((await link.send()).status).toBe(200);
    await eventually('the channel linked', () =>
      db().channelLink.findFirst({ where: { platform: 'teams', companyId: { not: null } } }),
    );
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  /**
   * The customer's message while the write of it is cut `cuts` times (its connection terminated); then
   * Teams' redelivery when the bot answered 5xx. Returns the messages logged for it and what the bot said
   * in the channel meanwhile.
   */
  const complaintWithCuts = async (cuts: number) => {
    const posts = recorder.calls.length;
    const complaint = message(jo, 'The invoice total is wrong again, please fix it');
    let answer: Promise<{ status: number }> | undefined;
    await killAtHeldWrite({
      databaseUrl: rapport.proc.runtime.config.databaseUrl!,
      table: 'Message',
      what: "the bot waiting on its write of the customer's message",
      act: async () => {
        answer = complaint.send();
      },
      kill: async () => {},
      terminations: cuts,
    });
    const status = (await answer!).status;
    // Teams delivers a message again when the bot answered 5xx; a 200 is the end of it.
    if (status >= 500) expect((await complaint.send()).status).toBe(200);
    const logged = await eventually('the message logged', () =>
      db()
        .message.findMany({ where: { externalId: { endsWith: complaint.messageId } } })
        .then((m) => (m.length ? m : undefined)),
    );
    const said = recorder.calls.slice(posts).filter((c) => JSON.stringify(c).includes('went wrong'));
    return { status, logged, said };
  };

  it('cut once: a retry within the request logs it once', async () => {
    const { status, logged, said } = await complaintWithCuts(1);
    expect(status).toBe(200);
    expect(logged).toHaveLength(1);
    expect(said).toEqual([]);
  }, 120_000);

  it('cut on every try: answered 500 with no apology in the customer channel, logged once on redelivery', async () => {
    const { status, logged, said } = await complaintWithCuts(1 + TEAMS_AUTO_LOG_RETRY_DELAYS_MS.length);
    expect(status).toBe(500);
    expect(logged).toHaveLength(1);
    expect(said).toEqual([]);
  }, 120_000);
});
