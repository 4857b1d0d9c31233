import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../connectors/chat-connector.ts';
import { SLACK_BOT_SCOPES } from '../../../connectors/slack/slack-scopes.ts';
import { SlackInstallationStore } from '../../../connectors/slack/installation-store.ts';
import { SecretBox } from '../../../src/db/secret-box.ts';
import { createLogger } from '../../../src/logger.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto, startTestProcess, type TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackSignature } from '../../helpers/slack-requests.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const SIGNING_SECRET = 'oauth-test-signing-secret-0123456789';
const CLIENT_ID = '111.222';
const CLIENT_SECRET = 'client-secret-never-logged';
const STATE_SECRET = 'state-secret-0123456789';
const T2_TOKEN = 'xoxb-team-two-secret';
const ORG_TOKEN = 'xoxb-org-one-secret';
const SECRET_KEY = randomBytes(32).toString('base64');

const sign = (body: string, timestamp: number) => slackSignature(body, timestamp, SIGNING_SECRET);

describe.each(TEST_DATABASE_KINDS)('Slack OAuth installs on %s: install, per-workspace tokens, uninstall', (kind) => {
  const slack = new SlackRecorder();
  const logLines: string[] = [];
  let test: TestProcess | undefined;
  let proc: RunningProcess;
  let triggers = 0;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    slack.oauthClient = { id: CLIENT_ID, secret: CLIENT_SECRET };
    test = await startTestProcess(
      kind,
      {
        RAPPORT_DEFAULT_CHANNEL: 'slack:T2/CTEAM',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_CLIENT_ID: CLIENT_ID,
        SLACK_CLIENT_SECRET: CLIENT_SECRET,
        SLACK_STATE_SECRET: STATE_SECRET,
        // The workspaces served: Team Two and every workspace of Org One. Nobody else's install is kept.
        SLACK_TEAM_IDS: 'T2,E1',
        SLACK_API_URL: apiUrl,
        // Tokens sealed at rest: every install and lookup below goes through the key.
        RAPPORT_SECRET_KEY: SECRET_KEY,
        // Debug, so the no-token check below also covers Bolt's and the WebClient's chattiest output.
        LOG_LEVEL: 'debug',
      },
      { name: 'slack-oauth', logger: loggerInto(logLines, 'debug') },
    );
    proc = test.proc;
  });

  afterAll(async () => {
    await test?.dispose();
    await slack.stop();
  });

  /** Follows the install the way a browser does: /slack/install, Slack's consent (skipped: the test grants `code`), the redirect with the state cookie. */
  async function install(code: string): Promise<{ authorizeUrl: URL; redirect: Response }> {
    const start = await fetch(`${proc.url}/slack/install`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const authorizeUrl = new URL(start.headers.get('location')!);
    const cookie = start.headers.get('set-cookie')!.split(';')[0];
    const state = authorizeUrl.searchParams.get('state')!;
    expect(cookie).toBe(`slack-app-oauth-state=${state}`);
    const redirect = await fetch(`${proc.url}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, {
      headers: { cookie },
    });
    return { authorizeUrl, redirect };
  }

  async function postSigned(body: string, contentType: string): Promise<Response> {
    const ts = Math.floor(Date.now() / 1000);
    return fetch(`${proc.url}/slack/events`, {
      method: 'POST',
      headers: {
        'Content-Type': contentType,
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': sign(body, ts),
      },
      body,
    });
  }

  /** A signed /crm command body; `userId` apart from U1 when a test counts users.info calls (cached per workspace and user). */
  function slashCommand(
    text: string,
    team: { teamId: string; enterpriseId?: string; orgWide?: boolean },
    userId = 'U1',
  ) {
    const triggerId = `oauth-trigger-${++triggers}`;
    const form = new URLSearchParams({
      token: 'legacy',
      team_id: team.teamId,
      team_domain: team.teamId.toLowerCase(),
      ...(team.enterpriseId ? { enterprise_id: team.enterpriseId, enterprise_name: 'Org One' } : {}),
      ...(team.orgWide ? { is_enterprise_install: 'true' } : {}),
      channel_id: 'CSALES',
      channel_name: 'sales',
      user_id: userId,
      user_name: 'jo',
      command: '/crm',
      text,
      api_app_id: 'A1',
      response_url: slack.responseUrl(triggerId),
      trigger_id: triggerId,
    });
    return { body: form.toString(), responsePath: `respond/${triggerId}` };
  }

  function event(
    type: string,
    extra: Record<string, unknown>,
    auth: { teamId: string | null; enterpriseId: string | null; orgWide: boolean },
  ) {
    return JSON.stringify({
      token: 'legacy',
      team_id: auth.teamId ?? 'T5',
      ...(auth.enterpriseId ? { enterprise_id: auth.enterpriseId } : {}),
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: `Ev${randomBytes(4).toString('hex')}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: auth.enterpriseId,
          team_id: auth.teamId,
          user_id: 'UBOT',
          is_bot: true,
          is_enterprise_install: auth.orgWide,
        },
      ],
      event: { type, event_ts: String(Date.now() / 1000), ...extra },
    });
  }

  /** Grants Slack gives for Team Two (a workspace) and Org One (an org-wide install of T5 and T6). */
  function grantTeamTwoAndOrg(): void {
    slack.oauthGrants.set('code-t2', {
      botToken: T2_TOKEN,
      teamId: 'T2',
      teamName: 'Team Two',
      scopes: [...SLACK_BOT_SCOPES],
    });
    slack.oauthGrants.set('code-e1', {
      botToken: ORG_TOKEN,
      enterpriseId: 'E1',
      enterpriseName: 'Org One',
      isEnterpriseInstall: true,
      scopes: [...SLACK_BOT_SCOPES],
      orgTeams: ['T5', 'T6'],
    });
  }

  /** Team Two and Org One installed (again, when another test installed or removed them: an install is an upsert). */
  async function installTeamTwoAndOrg(): Promise<void> {
    grantTeamTwoAndOrg();
    for (const code of ['code-t2', 'code-e1']) expect((await install(code)).redirect.status).toBe(200);
  }

  it('installs a workspace and an org through the OAuth dance and answers each with its own token', async () => {
    grantTeamTwoAndOrg();
    const exchanges = slack.callsTo('oauth.v2.access').length;
    const postsBefore = slack.callsTo('chat.postMessage').length;
    // Whatever another test left: this one counts the installations it makes.
    await proc.runtime.db.prisma.slackInstallation.deleteMany({});

    const t2 = await install('code-t2');
    expect(`${t2.authorizeUrl.origin}${t2.authorizeUrl.pathname}`).toBe('https://slack.com/oauth/v2/authorize');
    expect(t2.authorizeUrl.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(t2.authorizeUrl.searchParams.get('scope')?.split(',')).toEqual([...SLACK_BOT_SCOPES]);
    expect(t2.redirect.status).toBe(200);
    expect(await t2.redirect.text()).toContain('Rapport is now installed in Team Two');
    const exchange = slack.callsTo('oauth.v2.access')[exchanges];
    expect(exchange.body).toMatchObject({ code: 'code-t2', client_id: CLIENT_ID });

    const org = await install('code-e1');
    expect(org.redirect.status).toBe(200);
    expect(await org.redirect.text()).toContain(
      'Rapport is now installed in Org One. An org admin adds it to workspaces',
    );

    const rows = await proc.runtime.db.prisma.slackInstallation.findMany({ orderBy: { installKey: 'asc' } });
    expect(rows.map((r) => [r.installKey, r.teamId, r.enterpriseId])).toEqual([
      ['enterprise:E1', null, 'E1'],
      ['team:T2', 'T2', null],
    ]);
    // RAPPORT_SECRET_KEY: no token in the clear anywhere in the rows (the column or the installation).
    expect(rows.every((r) => r.botToken?.startsWith('sealed:v1:'))).toBe(true);
    for (const token of [T2_TOKEN, ORG_TOKEN]) expect(JSON.stringify(rows)).not.toContain(token);

    // A command from T2 runs with T2's token (users.info for the person's timezone).
    const fromT2 = slashCommand('help', { teamId: 'T2' }, 'UINSTALL1');
    expect((await postSigned(fromT2.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    const answer = await eventually(
      'the answer to /crm help from T2',
      async () => slack.callsTo(fromT2.responsePath)[0],
    );
    expect(String(answer.body.text)).toMatch(/log/i);
    expect(slack.callsTo('users.info').at(-1)?.token).toBe(T2_TOKEN);

    // A workspace of the org-wide install runs with the org's token.
    const fromOrg = slashCommand('help', { teamId: 'T5', enterpriseId: 'E1', orgWide: true }, 'UINSTALL1');
    expect((await postSigned(fromOrg.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    await eventually('the answer to /crm help from the org', async () => slack.callsTo(fromOrg.responsePath)[0]);
    expect(slack.callsTo('users.info').at(-1)?.token).toBe(ORG_TOKEN);

    // A suggestion for T2's channel is posted with T2's token by the delivery job.
    const log = slashCommand('log acme "The dashboard keeps crashing, we are really unhappy" --new', {
      teamId: 'T5',
      enterpriseId: 'E1',
      orgWide: true,
    });
    expect((await postSigned(log.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    const posted = await eventually('the suggestion in T2', async () =>
      slack
        .callsTo('chat.postMessage')
        .slice(postsBefore)
        .find((c) => c.body.channel === 'CTEAM'),
    );
    expect(posted.token).toBe(T2_TOKEN);

    // A worker posting to a workspace of the org finds the org's token (auth.teams.list), and none for a stranger.
    const connector = proc.runtime.registry.forTarget('slack:T6/CORG');
    await connector.post('slack:T6/CORG', { text: 'hello org' });
    expect(
      slack
        .callsTo('chat.postMessage')
        .slice(postsBefore)
        .find((c) => c.body.channel === 'CORG')?.token,
    ).toBe(ORG_TOKEN);
    const stray = await connector.post('slack:T9/CX', { text: 'hello?' }).catch((e: unknown) => e);
    expect((stray as DeliveryError).code).toBe('auth');

    // A workspace that never installed Rapport gets nothing; Bolt logs why.
    const stranger = slashCommand('help', { teamId: 'T9' });
    expect((await postSigned(stranger.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    await eventually('the refusal in the log', async () =>
      logLines.some((l) => l.includes('Rapport is not installed in Slack workspace T9')),
    );
    expect(slack.callsTo(stranger.responsePath)).toEqual([]);
  });

  it('refuses an install from a workspace or org not in SLACK_TEAM_IDS with a page that says why: nothing stored, its token revoked', async ({
    onTestFinished,
  }) => {
    onTestFinished(async () => {
      await proc.runtime.db.prisma.slackInstallation.deleteMany({ where: { installKey: 'team:T6' } });
    });
    const rowsBefore = await proc.runtime.db.prisma.slackInstallation.count();
    const revokesBefore = slack.callsTo('auth.revoke').length;
    slack.oauthGrants.set('code-t8', {
      botToken: 'xoxb-outsider-workspace',
      teamId: 'T8',
      teamName: 'Customer Co',
      scopes: [...SLACK_BOT_SCOPES],
    });
    slack.oauthGrants.set('code-e8', {
      botToken: 'xoxb-outsider-org',
      enterpriseId: 'E8',
      enterpriseName: 'Customer Org',
      isEnterpriseInstall: true,
      scopes: [...SLACK_BOT_SCOPES],
      orgTeams: ['T81'],
    });
    // A workspace of Org One installed on its own is served (its org is listed).
    slack.oauthGrants.set('code-t6', {
      botToken: 'xoxb-org-one-workspace',
      teamId: 'T6',
      teamName: 'Org One Sales',
      enterpriseId: 'E1',
      enterpriseName: 'Org One',
      scopes: [...SLACK_BOT_SCOPES],
    });

    for (const [code, id, name] of [
      ['code-t8', 'T8', 'Customer Co'],
      ['code-e8', 'E8', 'Customer Org'],
    ] as const) {
      const { redirect } = await install(code);
      expect(redirect.status, code).toBe(403);
      const page = await redirect.text();
      expect(page).toContain('Rapport was not installed');
      expect(page).toContain(`${name} (${id}) is not one of them, so nothing was installed`);
      expect(page).toContain(`add ${id} to SLACK_TEAM_IDS`);
    }
    expect(await proc.runtime.db.prisma.slackInstallation.count()).toBe(rowsBefore);
    expect(
      await proc.runtime.db.prisma.slackInstallation.count({
        where: { installKey: { in: ['team:T8', 'enterprise:E8'] } },
      }),
    ).toBe(0);
    // The tokens Slack granted are revoked, which uninstalls the app there.
    expect(
      slack
        .callsTo('auth.revoke')
        .slice(revokesBefore)
        .map((c) => c.token),
    ).toEqual(['xoxb-outsider-workspace', 'xoxb-outsider-org']);
    expect(logLines.some((l) => l.includes('Slack install refused: the workspace is not in SLACK_TEAM_IDS'))).toBe(
      true,
    );

    const ofOrgOne = await install('code-t6');
    expect(ofOrgOne.redirect.status).toBe(200);
    expect(await ofOrgOne.redirect.text()).toContain('Rapport is now installed in Org One Sales');
    expect(await proc.runtime.db.prisma.slackInstallation.count({ where: { installKey: 'team:T6' } })).toBe(1);
  });

  it('an installation of another workspace stored before SLACK_TEAM_IDS is not served: its commands and messages run nothing, nothing is posted with its token', async ({
    onTestFinished,
  }) => {
    // Other tests count every installation: this one's goes whatever happens here.
    onTestFinished(async () => {
      await proc.runtime.db.prisma.slackInstallation.deleteMany({ where: { installKey: 'team:T7' } });
    });
    // An upgrade: the row was stored while any workspace could install (no list then).
    const unlisted = new SlackInstallationStore(proc.runtime.db, createLogger('silent'), {
      secrets: new SecretBox(proc.runtime.config.secretKeys),
    });
    await unlisted.storeInstallation({
      team: { id: 'T7', name: 'Customer Seven' },
      enterprise: undefined,
      user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
      bot: { id: 'B7', userId: 'UBOT7', token: 'xoxb-stored-before-the-list', scopes: [...SLACK_BOT_SCOPES] },
      tokenType: 'bot',
      isEnterpriseInstall: false,
      appId: 'A1',
      authVersion: 'v2',
    });
    const db = proc.runtime.db;
    await db.prisma.company.upsert({
      where: { normalizedName: 'initech' },
      create: { name: 'Initech', normalizedName: 'initech' },
      update: {},
    });
    // In their own workspace the customer's people are members, as Slack would say.
    slack.users.set('UOUTSIDER7', { team_id: 'T7' });
    const usersInfoBefore = slack.callsTo('users.info').length;
    const repsBefore = await db.prisma.rep.count();
    const messagesBefore = await db.prisma.message.count();

    const commands = ['lookup initech', 'export initech', 'notify initech here'].map((text) =>
      slashCommand(text, { teamId: 'T7' }, 'UOUTSIDER7'),
    );
    for (const cmd of commands)
      expect((await postSigned(cmd.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    // A message in one of its channels: not logged as ours.
    const message = event(
      'message',
      {
        channel: 'C7',
        user: 'UOUTSIDER7',
        text: 'Initech internal pricing',
        ts: `${Date.now() / 1000}`,
        channel_type: 'channel',
      },
      { teamId: 'T7', enterpriseId: null, orgWide: false },
    );
    expect((await postSigned(message, 'application/json')).status).toBe(200);
    const refusals = () =>
      logLines.filter((l) => l.includes('Rapport does not serve Slack workspace T7: it is not in SLACK_TEAM_IDS'))
        .length;
    // Both ways end the wait: the three commands and the message refused, or any command answered.
    await eventually(
      'the refusals in the log, or an answer',
      async () => refusals() >= 4 || commands.some((cmd) => slack.callsTo(cmd.responsePath).length > 0),
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const cmd of commands) expect(slack.callsTo(cmd.responsePath)).toEqual([]);
    expect(refusals()).toBeGreaterThanOrEqual(4);
    // Nobody of T7 was looked up (other tests' background work may ask about their own people meanwhile).
    expect(
      slack
        .callsTo('users.info')
        .slice(usersInfoBefore)
        .filter((c) => c.body.user === 'UOUTSIDER7'),
    ).toEqual([]);
    expect(slack.calls.some((c) => c.token === 'xoxb-stored-before-the-list')).toBe(false);
    expect(await db.prisma.rep.count()).toBe(repsBefore);
    expect(await db.prisma.message.count()).toBe(messagesBefore);
    expect(await db.prisma.channelLink.count({ where: { channelRef: { startsWith: 'T7/' } } })).toBe(0);

    // A worker posting to it finds no token.
    const stray = await proc.runtime.registry
      .forTarget('slack:T7/C7')
      .post('slack:T7/C7', { text: 'hello?' })
      .catch((e: unknown) => e);
    expect((stray as DeliveryError).code).toBe('auth');

    // The listed workspace still works.
    grantTeamTwoAndOrg();
    expect((await install('code-t2')).redirect.status).toBe(200);
    const fromT2 = slashCommand('lookup initech', { teamId: 'T2' }, 'UMEMBER2');
    expect((await postSigned(fromT2.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    const answer = await eventually('the answer to lookup from T2', async () => slack.callsTo(fromT2.responsePath)[0]);
    expect(String(answer.body.text)).toMatch(/Initech/);
  });

  it('refuses a redirect with a missing, forged or cookieless state with a page that says what to do, and stores nothing', async () => {
    const exchangesBefore = slack.callsTo('oauth.v2.access').length;
    const rowsBefore = await proc.runtime.db.prisma.slackInstallation.count();
    slack.oauthGrants.set('code-x', { botToken: 'xoxb-never', teamId: 'T7', scopes: ['commands'] });

    const missing = await fetch(`${proc.url}/slack/oauth_redirect?code=code-x`);
    const forged = await fetch(`${proc.url}/slack/oauth_redirect?code=code-x&state=forged`, {
      headers: { cookie: 'slack-app-oauth-state=forged' },
    });
    const start = await fetch(`${proc.url}/slack/install`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const otherBrowser = await fetch(`${proc.url}/slack/oauth_redirect?code=code-x&state=${encodeURIComponent(state)}`);

    for (const res of [missing, forged, otherBrowser]) {
      expect(res.status).toBe(400);
      const page = await res.text();
      expect(page).toContain('Rapport was not installed');
      expect(page).toContain('Start again at /slack/install');
    }
    expect(slack.callsTo('oauth.v2.access').length).toBe(exchangesBefore);
    expect(await proc.runtime.db.prisma.slackInstallation.count()).toBe(rowsBefore);
  });

  it('app_uninstalled deletes the workspace: its deliveries fail as auth errors and are not retried; tokens_revoked removes the org', async () => {
    const db = proc.runtime.db;
    await installTeamTwoAndOrg();
    expect(
      (
        await postSigned(
          event('app_uninstalled', {}, { teamId: 'T2', enterpriseId: null, orgWide: false }),
          'application/json',
        )
      ).status,
    ).toBe(200);
    await eventually(
      'the T2 installation to go',
      async () => (await db.prisma.slackInstallation.count({ where: { installKey: 'team:T2' } })) === 0,
    );

    const connector = proc.runtime.registry.forTarget('slack:T2/CTEAM');
    const refused = await connector.post('slack:T2/CTEAM', { text: 'hello' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DeliveryError);
    expect((refused as DeliveryError).code).toBe('auth');
    expect((refused as DeliveryError).message).toMatch(/not installed in Slack workspace T2/);

    // The pipeline's delivery to T2 gives up at once: the Delivery row is failed, nothing was posted.
    const postsBefore = slack.callsTo('chat.postMessage').length;
    const log = slashCommand('log "Globex" "We are cancelling our contract, very disappointed" --new', {
      teamId: 'T5',
      enterpriseId: 'E1',
      orgWide: true,
    });
    expect((await postSigned(log.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    const failed = await eventually(
      'the failed delivery to T2',
      async () => db.prisma.delivery.findFirst({ where: { target: 'slack:T2/CTEAM', status: 'failed' } }),
      20_000,
    );
    expect(failed.lastError).toMatch(/not installed in Slack workspace T2/);
    expect(failed.attempts).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await db.prisma.delivery.findUniqueOrThrow({ where: { id: failed.id } })).status).toBe('failed');
    expect(slack.callsTo('chat.postMessage').length).toBe(postsBefore);

    // User tokens alone leave the org installed; bot tokens revoked remove it.
    expect(
      (
        await postSigned(
          event('tokens_revoked', { tokens: { oauth: ['U1'] } }, { teamId: null, enterpriseId: 'E1', orgWide: true }),
          'application/json',
        )
      ).status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await db.prisma.slackInstallation.count({ where: { installKey: 'enterprise:E1' } })).toBe(1);
    expect(
      (
        await postSigned(
          event('tokens_revoked', { tokens: { bot: ['UBOT'] } }, { teamId: null, enterpriseId: 'E1', orgWide: true }),
          'application/json',
        )
      ).status,
    ).toBe(200);
    await eventually('the org installation to go', async () => (await db.prisma.slackInstallation.count()) === 0);
    expect(logLines.some((l) => l.includes('Slack installation deleted') && l.includes('tokens_revoked'))).toBe(true);
  });

  it('never writes a token or the client secret to the log', async () => {
    // Tokens of its own in use (installs, a command answered with T2's token, an org refusal), whatever ran before.
    await installTeamTwoAndOrg();
    const fromT2 = slashCommand('help', { teamId: 'T2' }, 'UNOLOG1');
    expect((await postSigned(fromT2.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    await eventually('the answer to /crm help from T2', async () => slack.callsTo(fromT2.responsePath)[0]);
    expect(slack.callsTo('users.info').at(-1)?.token).toBe(T2_TOKEN);
    const all = logLines.join('');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [T2_TOKEN, ORG_TOKEN, CLIENT_SECRET, STATE_SECRET, 'xoxb-never'])
      expect(all).not.toContain(secret);
  });
});
