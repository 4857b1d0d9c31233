import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { createLogger } from '../../../src/logger.ts';
import { startProcess, type RunningProcess } from '../../../app/start-process.ts';
import { componentFactories } from '../../../app/components.ts';
import type { ConnectorComponentFactory } from '../../../connectors/connector-runtime.ts';
import { teamsComponent, type TeamsComponentOptions } from '../../../connectors/teams/teams.component.ts';
import { AppCredentials, AuthenticationConstants } from 'botframework-connector';
import { BotFrameworkIssuer } from '../../helpers/bot-framework-issuer.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { adaptiveCardProblems, TeamsRecorder } from '../../helpers/teams-recorder.ts';

const CONVERSATION = '19:sales@thread.tacv2';
const BOT = { id: '28:rapport-bot', name: 'Rapport' };

interface Started {
  proc: RunningProcess;
  dispose(): Promise<void>;
}

async function startRapport(env: Record<string, string>, teamsOptions?: TeamsComponentOptions): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-teams-'));
  const prefix = `{rapport-teams-${randomBytes(4).toString('hex')}}`;
  const config = loadConfig({
    PORT: '0',
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    // Our tenant (required with MICROSOFT_APP_ID, and what this file's activities name).
    MICROSOFT_APP_TENANT_ID: 'tenant-1',
    ...env,
  });
  const factories: ConnectorComponentFactory[] = teamsOptions
    ? componentFactories.map((f) => (f === teamsComponent ? (rt) => teamsComponent(rt, teamsOptions) : f))
    : componentFactories;
  const proc = await startProcess(config, createLogger('silent'), factories);
  return {
    proc,
    async dispose() {
      const redis = proc.runtime.redis.duplicate();
      await proc.shutdown('test over');
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('Teams bot in a real process (Emulator mode, no app id)', () => {
  const recorder = new TeamsRecorder();
  let rapport: Started;
  const jo = { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo' };
  const sam = { id: '29:sam', name: 'Sam Rep', aadObjectId: 'aad-sam' };

  beforeAll(async () => {
    await recorder.start();
    // Our own people only: answers stay in these channels (a channel with outsiders answers in 1:1 chats, teams-trust.test.ts).
    for (const channel of [CONVERSATION, '19:acme-deals@thread.tacv2'])
      recorder.setMembers(
        channel,
        [jo, sam].map((m) => ({ ...m, tenantId: 'tenant-1', userRole: 'user' })),
      );
    rapport = await startRapport({ TEAMS_ENABLED: 'true', RAPPORT_DEFAULT_CHANNEL: `teams:${CONVERSATION}` });
  });
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  const activity = (fields: Record<string, unknown>) => ({
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: recorder.url,
    timestamp: new Date().toISOString(),
    conversation: { id: CONVERSATION, conversationType: 'channel', isGroup: true },
    recipient: BOT,
    from: jo,
    channelData: { tenant: { id: 'tenant-1' } },
    ...fields,
  });
  const send = async (body: Record<string, unknown>) => {
    const res = await fetch(`${rapport.proc.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const message = (text: string, from = jo) =>
    activity({
      type: 'message',
      from,
      text: `<at>Rapport</at> ${text}`,
      entities: [{ type: 'mention', text: '<at>Rapport</at>', mentioned: BOT }],
      localTimezone: 'Europe/Berlin',
    });
  const click = (command: string, replyToId: string, from = jo) =>
    activity({
      type: 'invoke',
      name: 'adaptiveCard/action',
      from,
      replyToId,
      value: { action: { type: 'Action.Execute', verb: 'rapport', data: { rapport: command } } },
    });
  const db = () => rapport.proc.runtime.db.prisma;
  const cardWith = (text: string, method: 'POST' | 'PUT' = 'POST') =>
    recorder.cards().find((c) => c.method === method && JSON.stringify(c.card).includes(text));
  /** The bot added to the sales channel (Teams sends this once; again is harmless): proactive posts go there. */
  const addedToSales = async () =>
    expect((await send(activity({ type: 'conversationUpdate', membersAdded: [BOT] }))).status).toBe(200);

  it('stores the conversation when the bot is added, so it can post there without a user turn', async () => {
    const res = await send(
      activity({
        type: 'conversationUpdate',
        membersAdded: [BOT],
        channelData: { tenant: { id: 'tenant-1' }, team: { id: CONVERSATION, aadGroupId: 'group-of-the-team' } },
      }),
    );
    expect(res.status).toBe(200);
    const link = await db().channelLink.findUniqueOrThrow({
      where: { platform_channelRef: { platform: 'teams', channelRef: CONVERSATION } },
    });
    expect(link.companyId).toBeNull();
    // With the team's Microsoft 365 group, which Graph addresses the team by (findPosted).
    expect(link.conversationRef).toMatchObject({
      serviceUrl: recorder.url,
      conversation: { id: CONVERSATION },
      bot: BOT,
      teamsTeamId: CONVERSATION,
      teamsAadGroupId: 'group-of-the-team',
    });
  });

  it('runs a message as a command without the @mention, answers with a valid card, and never logs a re-sent activity twice', async () => {
    const incoming = message('log "Acme Answers" "Please send the invoice again" --new');
    expect((await send(incoming)).status).toBe(200);
    const reply = recorder.calls.at(-1)!;
    expect(reply).toMatchObject({ method: 'POST', conversationId: CONVERSATION, activityId: incoming.id });
    const card = recorder.cards().at(-1)!.card;
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(JSON.stringify(card)).toMatch(/acme/i);

    expect((await send(incoming)).status).toBe(200); // Teams retries an activity it got no answer for
    expect(await db().communicationRecord.count({ where: { company: { name: 'Acme Answers' } } })).toBe(1);
  });

  it('reads a command typed with formatting (Teams sends it as HTML) as the text the rep sees: tags gone, entities decoded', async () => {
    // A rep who bolds a word, or whose client puts a non-breaking space after the mention, sends HTML:
    // the command's quotes arrive as &quot;, "&" as &amp;, and the note must not keep <b> or &nbsp;.
    const incoming = activity({
      type: 'message',
      from: jo,
      text: '<p><at>Rapport</at>&nbsp;log &quot;Formatted Co&quot; &quot;Called Jo, wants a <b>quote</b> &amp; a demo by Friday&quot; --new</p>',
      textFormat: 'xml',
      entities: [{ type: 'mention', text: '<at>Rapport</at>', mentioned: BOT }],
    });
    expect((await send(incoming)).status).toBe(200);
    const record = await db().communicationRecord.findFirstOrThrow({
      where: { company: { name: 'Formatted Co' } },
      include: { messages: true },
    });
    expect(record.messages.map((m) => m.text)).toEqual(['Called Jo, wants a quote & a demo by Friday']);
  });

  it('posts the suggestion proactively, updates it on Accept, fires the reminder when due and closes it on Done', async () => {
    await addedToSales();
    expect(
      (await send(message('log "Dashco" "The dashboard keeps crashing, we are really unhappy" --new'))).status,
    ).toBe(200);
    const suggestion = await eventually('the suggestion card posted to the conversation', async () =>
      cardWith('Suggested follow-up for Dashco'),
    );
    expect(suggestion.activityId).toBeUndefined(); // a new message in the channel, not a reply
    expect(adaptiveCardProblems(suggestion.card)).toEqual([]);
    const followUp = await eventually('the suggestion recorded on the follow-up', async () => {
      const f = await db().followUp.findFirst({ where: { company: { name: 'Dashco' } } });
      return f?.messageRef ? f : undefined;
    });
    expect(followUp.messageRef).toBe(`teams:${CONVERSATION}|${suggestion.answeredId}`);
    expect(JSON.stringify(suggestion.card)).toContain(`"rapport":"accept ${followUp.number}"`);

    // Accept: the invoke tells the clicker; the pipeline replaces the card in place once, for everyone.
    const accepted = await send(click(`accept ${followUp.number}`, suggestion.answeredId));
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    const acceptedUpdate = await eventually('the suggestion card updated in place', async () =>
      recorder.cards().find((c) => c.method === 'PUT' && c.activityId === suggestion.answeredId),
    );
    const acceptedCard = acceptedUpdate.card;
    expect(adaptiveCardProblems(acceptedCard)).toEqual([]);
    expect(JSON.stringify(acceptedCard)).not.toContain('"title":"Accept"');
    expect(JSON.stringify(acceptedCard)).toContain('"title":"Done"');
    expect((await db().followUp.findUniqueOrThrow({ where: { id: followUp.id } })).status).toBe('open');

    // Due in a second: the reminder card arrives in the conversation.
    await db().followUp.update({ where: { id: followUp.id }, data: { dueAt: new Date(Date.now() + 1_000) } });
    await rapport.proc.runtime.hooks.followUpChanged(followUp.id);
    const reminder = await eventually('the reminder card', async () => cardWith('Reminder: follow up with'));
    expect(adaptiveCardProblems(reminder.card)).toEqual([]);
    // The post lands a moment before the delivery job records it (the refresh after Done needs it).
    await eventually('the reminder recorded on its follow-up', async () =>
      (await db().followUp.findUniqueOrThrow({ where: { id: followUp.id } })).messageRef?.endsWith(
        `|${reminder.answeredId}`,
      ),
    );

    // Done, clicked by someone else: the reminder card shows who closed it and has no buttons left.
    const done = await send(click(`done ${followUp.number}`, reminder.answeredId, sam));
    expect(done.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    expect((await db().followUp.findUniqueOrThrow({ where: { id: followUp.id } })).status).toBe('done');
    // The pipeline updates the posted card (for everyone, on every device).
    const refreshed = await eventually('the reminder card updated in place', async () =>
      recorder
        .cards()
        .find(
          (c) =>
            c.method === 'PUT' &&
            c.activityId === reminder.answeredId &&
            JSON.stringify(c.card).includes('Marked done'),
        ),
    );
    const doneCard = JSON.stringify(refreshed.card);
    expect(doneCard).toContain('Marked done by Sam Rep');
    expect(doneCard).not.toContain('Action.Execute');
    expect(adaptiveCardProblems(refreshed.card)).toEqual([]);
  });

  // Issue 20: Universal Actions errors are `application/vnd.microsoft.error` with { code, message }.
  it('answers a click that is not a Rapport command and a failing command with application/vnd.microsoft.error and its sentence, leaving the card alone', async () => {
    const foreign = await send(
      activity({
        type: 'invoke',
        name: 'adaptiveCard/action',
        value: { action: { type: 'Action.Execute', verb: 'other', data: {} } },
      }),
    );
    expect(foreign.body).toMatchObject({
      statusCode: 400,
      type: 'application/vnd.microsoft.error',
      value: { code: 'BadRequest', message: expect.stringMatching(/does not belong to Rapport/) },
    });
    const puts = recorder.cards().filter((c) => c.method === 'PUT').length;
    const failing = await send(click('done 9999', 'no-such-card'));
    expect(failing.body).toMatchObject({
      statusCode: 400,
      type: 'application/vnd.microsoft.error',
      value: { code: 'BadRequest', message: expect.stringMatching(/9999/) },
    });
    expect(recorder.cards().filter((c) => c.method === 'PUT').length).toBe(puts);
  });

  it('greets with a welcome card when the app is installed (conversationUpdate adding the bot), once per installation event', async () => {
    const conversation = { id: 'a:personal-welcome', conversationType: 'personal' };
    const before = recorder.cards().length;
    const res = await send(activity({ type: 'conversationUpdate', conversation, membersAdded: [BOT] }));
    expect(res.status).toBe(200);
    const welcome = await eventually('the welcome card', async () =>
      recorder
        .cards()
        .slice(before)
        .find((c) => JSON.stringify(c.card).includes('Welcome to Rapport')),
    );
    expect(adaptiveCardProblems(welcome.card)).toEqual([]);
    expect(JSON.stringify(welcome.card)).toMatch(/help/);
    // Someone else joining is not an installation: no second welcome.
    await send(activity({ type: 'conversationUpdate', conversation, membersAdded: [sam] }));
    await new Promise((r) => setTimeout(r, 500));
    expect(
      recorder
        .cards()
        .slice(before)
        .filter((c) => JSON.stringify(c.card).includes('Welcome to Rapport')),
    ).toHaveLength(1);
  });

  it('runs an Action.Submit click (message with value.rapport) and answers with a card', async () => {
    const submit = activity({ type: 'message', value: { rapport: 'help' } });
    expect((await send(submit)).status).toBe(200);
    // One answer, a reply to the click (a card another test's log brings may land meanwhile).
    const answers = recorder.cards().filter((c) => c.activityId === submit.id);
    expect(answers).toHaveLength(1);
    expect(adaptiveCardProblems(answers[0].card)).toEqual([]);
  });

  it('a 429 on a proactive post is waited out by the delivery queue (Retry-After), not inside the SDK, and the card is posted once', async () => {
    await addedToSales();
    await send(message('log "Globex" "We are cancelling our contract, very disappointed" --new'));
    // Only the Globex suggestion is throttled (the command's answer went already): a card another
    // test's log brings may be on its way meanwhile.
    recorder.failNext({ status: 429, headers: { 'retry-after': '2' }, kind: 'send', bodyIncludes: 'Globex' });
    const posted = await eventually(
      'the suggestion for Globex',
      async () =>
        recorder.cards().find((c) => c.method === 'POST' && !c.activityId && JSON.stringify(c.card).includes('Globex')),
      30_000,
    );
    const throttled = recorder.served.find((f) => f.status === 429);
    expect(throttled).toMatchObject({ kind: 'send', conversationId: CONVERSATION });
    // The queue held the job for Retry-After; the SDK made no retries of its own in between.
    expect(posted.at - throttled!.at).toBeGreaterThanOrEqual(1_900);
    expect(
      recorder.cards().filter((c) => c.method === 'POST' && !c.activityId && JSON.stringify(c.card).includes('Globex')),
    ).toHaveLength(1);
    // The post reaches the recorder a moment before the delivery job records it on the follow-up.
    const followUp = await eventually('the post recorded on the follow-up', async () => {
      const f = await db().followUp.findFirstOrThrow({ where: { company: { name: 'Globex' } } });
      return f.messageRef ? f : undefined;
    });
    expect(followUp.messageRef).toBe(`teams:${CONVERSATION}|${posted.answeredId}`);
    // The failed attempt told nobody "something went wrong": the channel got the card and nothing else.
    expect(recorder.calls.filter((c) => JSON.stringify(c.activity).includes('Something went wrong'))).toEqual([]);
  });

  it('unlink stops the binding but keeps the conversation reference (reminders still reach the chat); removing the app forgets it', async () => {
    const deals = '19:acme-deals@thread.tacv2';
    const inDeals = (fields: Record<string, unknown>) =>
      activity({ ...fields, conversation: { id: deals, conversationType: 'channel', isGroup: true } });
    const say = (text: string) =>
      send(
        inDeals({
          type: 'message',
          text: `<at>Rapport</at> ${text}`,
          entities: [{ type: 'mention', text: '<at>Rapport</at>', mentioned: BOT }],
        }),
      );
    const row = () =>
      db().channelLink.findUnique({ where: { platform_channelRef: { platform: 'teams', channelRef: deals } } });
    const lastText = () =>
      JSON.stringify(
        recorder
          .cards()
          .filter((c) => c.conversationId === deals)
          .at(-1)?.card,
      );

    // Its own customer: the link must not depend on another test having logged one.
    expect((await say('log "Acme Deals" "Asked for the deal sheet" --new')).status).toBe(200);
    await say('link "Acme Deals"');
    expect((await row())?.companyId).not.toBeNull();
    await say('unlink');
    expect(lastText()).toMatch(/no longer linked/);
    const unlinked = await row();
    expect(unlinked?.companyId).toBeNull();
    expect(unlinked?.conversationRef).toMatchObject({ serviceUrl: recorder.url, conversation: { id: deals } });

    // A follow-up created in that chat before the unlink still reminds there.
    const before = recorder.calls.length;
    await rapport.proc.runtime.registry
      .forTarget(`teams:${deals}`)
      .post(`teams:${deals}`, { text: 'Reminder: call Acme' });
    expect(recorder.calls.slice(before)).toMatchObject([{ method: 'POST', conversationId: deals }]);

    // Not linked any more: a second unlink says so instead of deleting the reference.
    await say('unlink');
    expect(lastText()).toMatch(/not linked to a customer/);
    expect((await row())?.conversationRef).not.toBeNull();

    // The app removed from the chat: the reference goes (nothing is linked, so the row goes).
    expect((await send(inDeals({ type: 'installationUpdate', action: 'remove' }))).status).toBe(200);
    expect(await row()).toBeNull();
  });
});

describe('Teams with MICROSOFT_APP_ID: the SDK authenticates every request', () => {
  let rapport: Started;
  beforeAll(async () => {
    rapport = await startRapport({
      MICROSOFT_APP_ID: '00000000-0000-0000-0000-00000000a11d',
      MICROSOFT_APP_PASSWORD: 'not-a-real-secret',
    });
  });
  afterAll(async () => {
    await rapport?.dispose();
  });

  // A keep-alive connection the server closed after a 401 can be handed to the next fetch once
  // (ECONNRESET); the Bot Connector opens its own connections, so one fresh try is what it would see.
  const post = async (headers: Record<string, string>): Promise<Response> => {
    try {
      return await postOnce(headers);
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err;
      return postOnce(headers);
    }
  };
  const postOnce = (headers: Record<string, string>) =>
    fetch(`${rapport.proc.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        type: 'message',
        id: 'a1',
        channelId: 'msteams',
        serviceUrl: 'http://127.0.0.1:9/',
        conversation: { id: 'c1' },
        from: { id: 'u1' },
        recipient: { id: 'b1' },
        text: 'help',
      }),
    });
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('rejects a request without a token with 401 and runs nothing', async () => {
    expect((await post({})).status).toBe(401);
    expect(await rapport.proc.runtime.db.prisma.channelLink.count()).toBe(0);
  });

  it('rejects a forged token (self-made, untrusted issuer) with 401', async () => {
    const forged = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'forged' })}.${b64({ iss: 'https://evil.example', aud: '00000000-0000-0000-0000-00000000a11d', exp: Math.floor(Date.now() / 1000) + 600 })}.${b64('sig')}`;
    expect((await post({ authorization: `Bearer ${forged}` })).status).toBe(401);
    expect((await post({ authorization: 'Bearer not.a.jwt' })).status).toBe(401);
    expect(await rapport.proc.runtime.db.prisma.channelLink.count()).toBe(0);
  });
});

describe('Teams with MICROSOFT_APP_ID: a genuinely signed Bot Connector token is accepted, anything else is 401', () => {
  const APP_ID = '00000000-0000-0000-0000-0000000a11d2';
  const issuer = new BotFrameworkIssuer();
  const recorder = new TeamsRecorder();
  let rapport: Started;
  // No Azure AD here: the bot's own outgoing token is put where the SDK caches the one it would get from
  // login.microsoftonline.com, so the answer travels the production credential path minus that request.
  const outgoingCacheKey = `${APP_ID}${AuthenticationConstants.ToChannelFromBotOAuthScope}-cache`;
  const tokenCache = (AppCredentials as unknown as { cache: Map<string, { accessToken: string; expiresOn: Date }> })
    .cache;

  beforeAll(async () => {
    await issuer.start();
    await recorder.start();
    tokenCache.set(outgoingCacheKey, {
      accessToken: 'outgoing-test-token',
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    rapport = await startRapport(
      { MICROSOFT_APP_ID: APP_ID, MICROSOFT_APP_PASSWORD: 'not-a-real-secret' },
      { cloud: { ToBotFromChannelOpenIdMetadataUrl: issuer.metadataUrl } },
    );
  });
  afterAll(async () => {
    tokenCache.delete(outgoingCacheKey);
    await rapport?.dispose();
    await recorder.stop();
    await issuer.stop();
  });

  const post = (token: string, conversationId = `19:auth-${randomUUID()}@thread.tacv2`) =>
    fetch(`${rapport.proc.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        type: 'message',
        id: randomUUID(),
        channelId: 'msteams',
        serviceUrl: recorder.url,
        timestamp: new Date().toISOString(),
        conversation: { id: conversationId, conversationType: 'personal', tenantId: 'tenant-1' },
        channelData: { tenant: { id: 'tenant-1' } },
        from: { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo' },
        recipient: { id: `28:${APP_ID}`, name: 'Rapport' },
        text: 'help',
      }),
    });
  const links = () => rapport.proc.runtime.db.prisma.channelLink.count();

  it('accepts a token signed by the published key (issuer, audience = app id, serviceUrl claim) and answers the message', async () => {
    const conversationId = '19:valid@thread.tacv2';
    const res = await post(issuer.token({ aud: APP_ID, serviceurl: recorder.url }), conversationId);
    expect(res.status).toBe(200);
    const answer = recorder.cards().find((c) => c.conversationId === conversationId);
    expect(answer).toBeDefined();
    expect(answer!.authorization).toBe('Bearer outgoing-test-token');
    expect(adaptiveCardProblems(answer!.card)).toEqual([]);
    expect(await links()).toBe(1);
    expect(issuer.fetches).toBeGreaterThanOrEqual(2); // the SDK really fetched the metadata and the keys
  });

  it.each([
    [
      'a forged signature (same kid, another key)',
      () => issuer.token({ aud: APP_ID, serviceurl: recorder.url }, { forged: true }),
    ],
    [
      'an expired token (beyond the 5 minute clock tolerance)',
      () =>
        issuer.token({
          aud: APP_ID,
          serviceurl: recorder.url,
          iat: Math.floor(Date.now() / 1000) - 7200,
          nbf: Math.floor(Date.now() / 1000) - 7200,
          exp: Math.floor(Date.now() / 1000) - 600,
        }),
    ],
    [
      'a token for another app (wrong audience)',
      () => issuer.token({ aud: '00000000-0000-0000-0000-00000000beef', serviceurl: recorder.url }),
    ],
    [
      'a token from another issuer, signed with the trusted key',
      () => issuer.token({ aud: APP_ID, serviceurl: recorder.url, iss: 'https://sts.windows.net/evil/' }),
    ],
    [
      'a token for another serviceUrl',
      () => issuer.token({ aud: APP_ID, serviceurl: 'https://smba.trafficmanager.net/evil/' }),
    ],
  ])('rejects %s with 401 and runs nothing', async (_name, token) => {
    const before = { calls: recorder.calls.length, links: await links() };
    expect((await post(token())).status).toBe(401);
    expect(recorder.calls.length).toBe(before.calls);
    expect(await links()).toBe(before.links);
  });
});
