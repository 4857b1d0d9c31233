import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Job } from 'bullmq';
import { CloudAdapter, type ConversationReference } from 'botbuilder';
import { deliverMessage } from '../../../jobs/deliver-message.job.ts';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TeamsConnector } from '../../../connectors/teams/teams.connector.ts';
import { TeamsGraphMessages } from '../../../connectors/teams/teams-graph-messages.ts';
import { teamsAuthentication } from '../../../connectors/teams/teams-authentication.ts';
import { teamsTurnErrorHandler } from '../../../connectors/teams/teams-turn-error.ts';
import { createLogger } from '../../../src/logger.ts';
import { adaptiveCardProblems, TeamsRecorder } from '../../helpers/teams-recorder.ts';

// Issue 15 item 6: after a worker lost track of a Teams post (it stalled or died between Teams
// accepting the card and the Delivery row being marked sent), the retry reads the conversation back
// through Microsoft Graph and finds the card by its delivery key instead of posting it again.
const CHANNEL = '19:general@thread.tacv2';
const CHAT = '19:group@thread.v2';
const PERSONAL = 'a:personal-jo';
const GROUP_ID = '8d3c1c43-0000-4000-8000-00000000a001';

function query(pathAndQuery: string): URLSearchParams {
  return new URL(pathAndQuery, 'http://graph.test').searchParams;
}

describe('TeamsConnector.findPosted through Microsoft Graph (a local Graph and Entra token service)', () => {
  const recorder = new TeamsRecorder();
  const references = new Map<string, Partial<ConversationReference>>();
  const warnings: Array<{ msg: string; reason?: string }> = [];
  let connector: TeamsConnector;
  let graph: TeamsGraphMessages;

  const reference = (id: string, conversationType: string, extras: Record<string, unknown> = {}) => ({
    channelId: 'msteams',
    serviceUrl: recorder.url,
    conversation: { id, isGroup: conversationType !== 'personal', conversationType, tenantId: 'tenant-1', name: id },
    bot: { id: '28:rapport', name: 'Rapport' },
    ...extras,
  });

  function connectorWith(g: TeamsGraphMessages | undefined): TeamsConnector {
    const adapter = new CloudAdapter(
      teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
    );
    adapter.onTurnError = teamsTurnErrorHandler(createLogger('silent'));
    // Bot Connector in Emulator mode (no tokens); Graph with the app's own credentials below.
    return new TeamsConnector(adapter, '', async (id) => references.get(id), {}, undefined, g);
  }

  function graphClient(): TeamsGraphMessages {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { level: number; msg: string; reason?: string };
          if (entry.level === 40) warnings.push({ msg: entry.msg, reason: entry.reason });
        }
        done();
      },
    });
    return new TeamsGraphMessages({
      appId: 'app-1',
      appPassword: 'app-secret',
      graphUrl: `${recorder.url}v1.0`,
      loginUrl: recorder.url,
      logger: createLogger('warn', sink),
    });
  }

  beforeAll(async () => {
    await recorder.start();
    references.set(CHANNEL, reference(CHANNEL, 'channel', { teamsTeamId: CHANNEL, teamsTenantId: 'tenant-1' }));
    references.set(CHAT, reference(CHAT, 'groupChat'));
    references.set(PERSONAL, reference(PERSONAL, 'personal'));
  });
  afterAll(() => recorder.stop());
  beforeEach(() => {
    recorder.reset();
    recorder.setTeam(CHANNEL, GROUP_ID);
    recorder.graphRequiresToken = true;
    warnings.length = 0;
    graph = graphClient();
    connector = connectorWith(graph);
  });

  it('finds a channel card by its delivery key past the first page, with one app-only token for the tenant', async () => {
    const { externalId } = await connector.post(
      `teams:${CHANNEL}`,
      { title: 'Reminder', text: 'Call Acme' },
      { idempotencyKey: 'reminder:f1:1700000000' },
    );
    const [card] = recorder.cards();
    expect(adaptiveCardProblems(card.card)).toEqual([]); // the key rides as an element id: still a valid card
    await connector.post(`teams:${CHANNEL}`, { text: 'another card' }, { idempotencyKey: 'reminder:f2:1700000000' });
    recorder.addWrittenMessages(CHANNEL, 120); // people kept talking: the card is on the third page

    expect(await connector.findPosted(`teams:${CHANNEL}`, 'reminder:f1:1700000000')).toEqual({ externalId });
    const pages = recorder.graphRequests.filter((r) => r.url.includes(`/teams/${GROUP_ID}/channels/`));
    expect(pages.length).toBe(3);
    expect(query(pages[0].url).get('$top')).toBe('50');
    expect(query(pages[1].url).has('$skiptoken')).toBe(true);
    // Client credentials in the conversation's tenant for Graph, reused for every page and the next look-up.
    expect(recorder.tokenRequests).toEqual([
      {
        tenant: 'tenant-1',
        form: {
          grant_type: 'client_credentials',
          client_id: 'app-1',
          client_secret: 'app-secret',
          scope: 'https://graph.microsoft.com/.default',
        },
      },
    ]);
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'reminder:never-posted')).toBeUndefined();
    expect(recorder.tokenRequests.length).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('reads a reply chain and a group chat (with the date filter Graph takes for chats)', async () => {
    const thread = `teams:${CHANNEL};messageid=1700000000001`;
    const inThread = await connector.post(thread, { text: 'grouped' }, { idempotencyKey: 'suggestion:s9' });
    const inChat = await connector.post(`teams:${CHAT}`, { text: 'in the chat' }, { idempotencyKey: 'digest:c1' });
    recorder.addWrittenMessages(CHAT, 60);

    expect(await connector.findPosted(thread, 'suggestion:s9')).toEqual(inThread);
    expect(recorder.graphRequests.at(-1)?.url).toContain(`/messages/1700000000001/replies`);
    // The channel's top level does not hold the reply.
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'suggestion:s9')).toBeUndefined();
    expect(await connector.findPosted(`teams:${CHAT}`, 'digest:c1')).toEqual(inChat);
    const chatRequest = query(recorder.graphRequests.find((r) => r.url.startsWith('/v1.0/chats/'))?.url ?? '');
    expect(chatRequest.get('$orderby')).toBe('lastModifiedDateTime desc');
    expect(chatRequest.get('$filter')).toMatch(/^lastModifiedDateTime gt \d{4}-\d\d-\d\dT/);
    // 60 messages after the card: read to the second page.
    expect(recorder.graphRequests.filter((r) => r.url.startsWith('/v1.0/chats/')).length).toBe(2);
  });

  it('asks Bot Connector for the team group id once when the stored reference has none', async () => {
    await connector.post(`teams:${CHANNEL}`, { text: 'x' }, { idempotencyKey: 'k1' });
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'k1')).toMatchObject({ externalId: expect.any(String) });
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'k1')).toMatchObject({ externalId: expect.any(String) });
    // Both look-ups addressed the team by its group id; the second without asking Teams again.
    expect(recorder.graphRequests.every((r) => r.url.includes(GROUP_ID))).toBe(true);
    expect(recorder.teamDetailsRequests).toBe(1);
  });

  it("matches only this app's cards, and uses the team group id Teams sent with the conversation", async () => {
    await connector.post(`teams:${CHANNEL}`, { text: 'x' }, { idempotencyKey: 'k3' });
    // With a MICROSOFT_APP_ID the card must come from that app; the stored aadGroupId needs no Bot Connector call.
    const withApp = new TeamsConnector(
      new CloudAdapter(
        teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
      ),
      'app-1',
      async (id) => (id === CHANNEL ? { ...references.get(id), teamsAadGroupId: GROUP_ID } : references.get(id)),
      {},
      undefined,
      graph,
    );
    recorder.botAppId = 'another-app';
    expect(await withApp.findPosted(`teams:${CHANNEL}`, 'k3')).toBeUndefined();
    recorder.botAppId = 'app-1';
    expect(await withApp.findPosted(`teams:${CHANNEL}`, 'k3')).toMatchObject({ externalId: expect.any(String) });
    expect(recorder.teamDetailsRequests).toBe(0);
    recorder.botAppId = null;
  });

  it('answers unknown, never throws, and warns once when Graph refuses (consent not granted) or fails', async () => {
    await connector.post(`teams:${CHANNEL}`, { text: 'x' }, { idempotencyKey: 'k2' });
    recorder.failGraph(403, 403, 503);
    const first = await connector.findPosted(`teams:${CHANNEL}`, 'k2');
    expect(first).toMatchObject({ unknown: expect.stringContaining('ChannelMessage.Read.Group') });
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'k2')).toMatchObject({ unknown: expect.any(String) });
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'k2')).toMatchObject({
      unknown: expect.stringContaining('503'),
    });
    // One warning per kind of failure, not one per look-up.
    expect(warnings.map((w) => w.reason)).toEqual([
      expect.stringContaining('(403)'),
      expect.stringContaining('answered 503'),
    ]);
    expect(await connector.findPosted(`teams:${CHANNEL}`, 'k2')).toMatchObject({ externalId: expect.any(String) });
  });

  it('answers unknown for a token Entra refuses, an unreachable Graph, a 1:1 chat and no Graph at all', async () => {
    const refused = new TeamsGraphMessages({
      appId: 'app-1',
      appPassword: 'app-secret',
      graphUrl: `${recorder.url}v1.0`,
      loginUrl: `${recorder.url}nowhere`,
    });
    await expect(connectorWith(refused).findPosted(`teams:${CHANNEL}`, 'k')).resolves.toMatchObject({
      unknown: expect.stringContaining('MICROSOFT_APP_PASSWORD'),
    });
    const down = new TeamsGraphMessages({
      appId: 'app-1',
      appPassword: 'app-secret',
      graphUrl: 'http://127.0.0.1:1/v1.0',
      loginUrl: recorder.url,
    });
    await expect(connectorWith(down).findPosted(`teams:${CHANNEL}`, 'k')).resolves.toMatchObject({
      unknown: expect.stringContaining('could not be reached'),
    });
    // A Graph that accepts the connection and never answers: unknown after the timeout, not a hung delivery.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hanging = new TeamsGraphMessages({
      appId: 'app-1',
      appPassword: 'app-secret',
      graphUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1.0`,
      loginUrl: recorder.url,
      timeoutMs: 300,
    });
    const started = Date.now();
    await expect(connectorWith(hanging).findPosted(`teams:${CHANNEL}`, 'k')).resolves.toMatchObject({
      unknown: expect.stringContaining('could not be reached'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    silent.closeAllConnections();
    silent.close();
    await expect(connector.findPosted(`teams:${PERSONAL}`, 'k')).resolves.toMatchObject({
      unknown: expect.stringContaining('1:1'),
    });
    await expect(connector.findPosted('teams:@aad-jo', 'k')).resolves.toMatchObject({
      unknown: expect.stringContaining('1:1'),
    });
    // Emulator mode without MICROSOFT_GRAPH_URL: nothing to ask.
    const emulator = new TeamsGraphMessages({});
    await expect(connectorWith(emulator).findPosted(`teams:${CHANNEL}`, 'k')).resolves.toMatchObject({
      unknown: expect.stringContaining('Emulator mode'),
    });
    await expect(connectorWith(undefined).findPosted(`teams:${CHANNEL}`, 'k')).resolves.toMatchObject({
      unknown: expect.any(String),
    });
  });
});

describe('the delivery job finds a lost Teams suggestion in the thread its burst is grouped in', () => {
  const recorder = new TeamsRecorder();
  let h: PipelineHarness;

  beforeAll(async () => {
    await recorder.start();
  });
  afterAll(() => recorder.stop());
  beforeEach(async () => {
    h = await startPipelineHarness('postgres', { workers: false });
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('a 4th suggestion for one customer went into the first card thread: found there, recorded, not posted again', async () => {
    recorder.setTeam(CHANNEL, GROUP_ID);
    recorder.setMembers(CHANNEL, [
      { id: '29:jo', name: 'Jo', aadObjectId: 'aad-jo', tenantId: 'tenant-1', userRole: 'user' },
    ]);
    const adapter = new CloudAdapter(
      teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
    );
    adapter.onTurnError = teamsTurnErrorHandler(createLogger('silent'));
    const reference = {
      channelId: 'msteams',
      serviceUrl: recorder.url,
      conversation: { id: CHANNEL, isGroup: true, conversationType: 'channel', tenantId: 'tenant-1', name: 'General' },
      bot: { id: '28:rapport', name: 'Rapport' },
      teamsTeamId: CHANNEL,
    } as Partial<ConversationReference>;
    const graph = new TeamsGraphMessages({
      appId: 'app-1',
      appPassword: 'app-secret',
      graphUrl: `${recorder.url}v1.0`,
      loginUrl: recorder.url,
    });
    const connector = new TeamsConnector(
      adapter,
      '',
      async (id) => (id === CHANNEL ? reference : undefined),
      // Our tenant (MICROSOFT_APP_TENANT_ID): Jo's, so the channel's roster is ours and the card may go there.
      { tenantId: 'tenant-1' },
      undefined,
      graph,
    );
    h.deps.registry.register(connector);

    const actor = { platform: 'teams' as const, platformUserId: 'aad-jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(h.test.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'teams' };
    const company = await createCustomer(h.test.db.prisma, 'Initech', audit);
    const target = `teams:${CHANNEL}`;
    const followUps = [];
    for (let i = 0; i < 4; i++)
      followUps.push(
        await createFollowUp(
          h.test.db,
          {
            companyId: company.id,
            title: `Send the TPS report ${i}`,
            dueAt: new Date(Date.now() + 3_600_000),
            assigneeRepId: rep.id,
            actor: audit,
            fallbackRemindTarget: target,
          },
          h.hooks,
        ),
      );
    // Three suggestions for the customer went out in the channel a moment ago.
    for (const [i, f] of followUps.slice(0, 3).entries()) {
      const externalId = `17000000000${i}`;
      await h.test.db.prisma.delivery.create({
        data: {
          key: `suggestion:${f.id}`,
          target,
          status: 'sent',
          externalId,
          attempts: 1,
          // Each took its place in the customer's burst when it was posted (suggestion-burst.repository.ts).
          burstPosition: i + 1,
          burstCompanyId: company.id,
          payload: { kind: 'suggestion', followUpId: f.id, key: `suggestion:${f.id}`, target },
        },
      });
      await h.test.db.prisma.followUp.update({ where: { id: f.id }, data: { messageRef: `${target}|${externalId}` } });
    }
    await h.test.db.prisma.suggestionBurstCounter.create({
      data: { companyId: company.id, target, lastPosition: 3 },
    });
    // The fourth was posted into the first card's thread, and its worker died before recording it.
    const data: DeliverMessageData = {
      key: `suggestion:${followUps[3].id}`,
      kind: 'suggestion',
      target,
      followUpId: followUps[3].id,
    };
    const thread = `${target};messageid=170000000000`;
    const posted = await connector.post(
      thread,
      { text: 'Suggestion: Send the TPS report 3' },
      { idempotencyKey: data.key },
    );
    await h.test.db.prisma.delivery.create({
      data: { key: data.key, target, status: 'posting', attempts: 1, payload: { ...data } },
    });
    const job = new Job(h.queues[QueueName.DeliverMessage], 'suggestion', data, { jobId: data.key });

    expect(await deliverMessage(job, undefined, h.deps)).toMatchObject({
      status: 'sent',
      externalId: posted.externalId,
    });
    expect(recorder.calls.filter((c) => c.method === 'POST').length).toBe(1);
    expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUps[3].id } })).messageRef).toBe(
      `${thread}|${posted.externalId}`,
    );
    expect(recorder.graphRequests.some((r) => r.url.includes('/messages/170000000000/replies'))).toBe(true);
  });
});
