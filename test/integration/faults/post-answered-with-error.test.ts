import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudAdapter, type ConversationReference } from 'botbuilder';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { createLogger } from '../../../src/logger.ts';
import { SlackConnector } from '../../../connectors/slack/slack.connector.ts';
import { singleWorkspaceClients } from '../../../connectors/slack/slack-clients.ts';
import { TeamsConnector } from '../../../connectors/teams/teams.connector.ts';
import { TeamsGraphMessages } from '../../../connectors/teams/teams-graph-messages.ts';
import { teamsAuthentication } from '../../../connectors/teams/teams-authentication.ts';
import { teamsTurnErrorHandler } from '../../../connectors/teams/teams-turn-error.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';

// A post that landed but was answered with an error (Slack or Teams took the message, then answered
// 503, or the answer never came within the client's timeout, or the connection dropped) is not posted
// again: the Delivery row stays `posting`, and the retry finds the message by its key (findPosted:
// Slack's channel history, Teams through Microsoft Graph) and records it. Real SDKs over HTTP against
// the recorders, real BullMQ retries.
const TEAM = 'T1';
const SLACK_CHANNEL = 'CREMIND';
const TEAMS_CHANNEL = '19:reminders@thread.tacv2';
const GROUP_ID = '8d3c1c43-0000-4000-8000-00000000b001';

describe('a post the platform took but answered with an error', () => {
  const slack = new SlackRecorder();
  const teams = new TeamsRecorder();
  let h: PipelineHarness;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    await teams.start();
    teams.setTeam(TEAMS_CHANNEL, GROUP_ID);
    teams.setMembers(TEAMS_CHANNEL, [
      { id: '29:jo', name: 'Jo', aadObjectId: 'aad-jo', tenantId: 'tenant-1', userRole: 'user' },
    ]);
    h = await startPipelineHarness('postgres');
    const logger = createLogger('silent');
    // The posting client's timeout (10 s in production) made short, so a held answer outlasts it sooner.
    h.deps.registry.register(
      new SlackConnector(singleWorkspaceClients('xoxb-test', { apiUrl, logger, timeoutMs: 2_000 }), logger),
    );
    const adapter = new CloudAdapter(
      teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
    );
    adapter.onTurnError = teamsTurnErrorHandler(logger);
    const reference = {
      channelId: 'msteams',
      serviceUrl: teams.url,
      conversation: {
        id: TEAMS_CHANNEL,
        isGroup: true,
        conversationType: 'channel',
        tenantId: 'tenant-1',
        name: 'Reminders',
      },
      bot: { id: '28:rapport', name: 'Rapport' },
      teamsTeamId: TEAMS_CHANNEL,
    } as Partial<ConversationReference>;
    const graph = new TeamsGraphMessages({
      appId: 'app-1',
      appPassword: 'app-secret',
      graphUrl: `${teams.url}v1.0`,
      loginUrl: teams.url,
    });
    h.deps.registry.register(
      new TeamsConnector(
        adapter,
        '',
        async (id) => (id === TEAMS_CHANNEL ? reference : undefined),
        { tenantId: 'tenant-1' },
        undefined,
        graph,
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await h?.dispose();
    await slack.stop();
    await teams.stop();
  });

  /** An open follow-up due in a moment: its reminder goes to `target` through the real schedule. */
  async function dueSoon(title: string, target: string) {
    const actor = { platform: 'console' as const, platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(h.test.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const company = await createCustomer(h.test.db.prisma, title, audit);
    return createFollowUp(
      h.test.db,
      {
        companyId: company.id,
        title,
        dueAt: new Date(Date.now() + 1_000),
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: target,
      },
      h.hooks,
    );
  }

  it('is found by the retry and recorded, one post per key: Slack 503, Slack past the client timeout, Teams 503, Teams connection dropped', async () => {
    const about = (text: string) => (body: Record<string, unknown>) => JSON.stringify(body).includes(text);
    slack.failNext('chat.postMessage', { afterPosting: true, status: 503 }, about('Slack answers 503'));
    slack.failNext('chat.postMessage', { afterPosting: true, answerAfterMs: 3_500 }, about('Slack answers late'));
    teams.failNext(
      { status: 503, kind: 'send', afterRecording: true, bodyIncludes: 'Teams answers 503' },
      { status: 0, kind: 'send', afterRecording: true, drop: true, bodyIncludes: 'Teams drops the answer' },
    );
    const slackTarget = `slack:${TEAM}/${SLACK_CHANNEL}`;
    const teamsTarget = `teams:${TEAMS_CHANNEL}`;
    const followUps = [
      await dueSoon('Slack answers 503', slackTarget),
      await dueSoon('Slack answers late', slackTarget),
      await dueSoon('Teams answers 503', teamsTarget),
      await dueSoon('Teams drops the answer', teamsTarget),
    ];
    const keys = followUps.map((f) => `reminder-${f.id}-${f.dueAt.getTime()}`);
    const delivery = (key: string) => h.test.db.prisma.delivery.findUnique({ where: { key } });

    await eventually(
      'every reminder recorded as sent',
      async () => (await Promise.all(keys.map(delivery))).every((d) => d?.status === 'sent'),
      90_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${JSON.stringify(await h.test.db.prisma.delivery.findMany())}`);
    });
    // Each failure was served: the platform had the message before the bot heard the error.
    expect(teams.served.map((s) => s.status).sort()).toEqual([0, 503]);

    const slackPosts = (key: string) => slack.messages.filter((m) => m.metadata?.event_payload.key === key);
    const teamsPosts = (key: string) =>
      teams.cards().filter((c) => c.method === 'POST' && JSON.stringify(c.card).includes(key));
    const postsOf = (i: number) =>
      i < 2 ? slackPosts(keys[i]).map((m) => m.ts) : teamsPosts(keys[i]).map((c) => c.answeredId);
    // Each reminder once (posted twice before: the retry took the row's `pending` for "not posted").
    expect(keys.map((_, i) => postsOf(i).length)).toEqual([1, 1, 1, 1]);
    for (const [i, key] of keys.entries()) {
      const posts = postsOf(i);
      const row = await delivery(key);
      expect(row?.externalId).toBe(posts[0]);
      const f = await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUps[i].id } });
      expect(f.messageRef).toBe(`${i < 2 ? slackTarget : teamsTarget}|${posts[0]}`);
    }
    // The retries looked before posting: Slack's history, Teams' channel through Graph.
    expect(slack.callsTo('conversations.history').length).toBeGreaterThanOrEqual(2);
    expect(teams.graphRequests.some((r) => r.url.includes(`/teams/${GROUP_ID}/channels/`))).toBe(true);
  }, 120_000);

  it('says which errors may come after the platform took the post: a 503 yes; a refused connection, a 429 or a refusal no', async () => {
    const slackConnector = h.deps.registry.forTarget(`slack:${TEAM}/${SLACK_CHANNEL}`);
    const teamsConnector = h.deps.registry.forTarget(`teams:${TEAMS_CHANNEL}`);
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: unknown) => err as { code?: string; mayHavePosted?: boolean },
      );
    const post = (connector: typeof slackConnector, target: string) =>
      failure(connector.post(target, { text: 'outage' }, { idempotencyKey: `k-${Math.random()}` }));

    // Slack down (nothing listening) and Teams' service URL down: neither can have the message.
    await slack.refuse();
    await teams.refuse();
    // The clients see their kept-alive connections closed (a post on one closing under it may have gone out).
    await new Promise((r) => setTimeout(r, 500));
    try {
      expect(await post(slackConnector, `slack:${TEAM}/${SLACK_CHANNEL}`)).toMatchObject({
        code: 'temporary',
        mayHavePosted: false,
      });
      expect(await post(teamsConnector, `teams:${TEAMS_CHANNEL}`)).toMatchObject({
        code: 'temporary',
        mayHavePosted: false,
      });
    } finally {
      await slack.resume();
      await teams.resume();
    }
    // Slack answering 503 (without the message) or a 429: the code alone cannot tell a 503 apart, so it may have.
    slack.failNext('chat.postMessage', { status: 503 });
    expect(await post(slackConnector, `slack:${TEAM}/${SLACK_CHANNEL}`)).toMatchObject({ mayHavePosted: true });
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    expect(await post(slackConnector, `slack:${TEAM}/${SLACK_CHANNEL}`)).toMatchObject({
      code: 'rate_limited',
      mayHavePosted: false,
    });
    slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
    expect(await post(slackConnector, `slack:${TEAM}/${SLACK_CHANNEL}`)).toMatchObject({ mayHavePosted: false });
  });
});
