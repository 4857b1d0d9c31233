import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudAdapter, type ConversationReference } from 'botbuilder';
import { DeliveryError } from '../../../connectors/chat-connector.ts';
import { TeamsConnector } from '../../../connectors/teams/teams.connector.ts';
import { teamsAuthentication } from '../../../connectors/teams/teams-authentication.ts';
import { teamsTurnErrorHandler } from '../../../connectors/teams/teams-turn-error.ts';
import { createLogger } from '../../../src/logger.ts';
import { adaptiveCardProblems, TeamsRecorder } from '../../helpers/teams-recorder.ts';

describe('TeamsConnector against a recording Bot Connector service', () => {
  const recorder = new TeamsRecorder();
  const references = new Map<string, Partial<ConversationReference>>();
  let connector: TeamsConnector;

  beforeAll(async () => {
    await recorder.start();
    references.set('19:team@thread.tacv2', {
      channelId: 'msteams',
      serviceUrl: recorder.url,
      conversation: { id: '19:team@thread.tacv2', isGroup: true, conversationType: 'channel', name: 'team' },
      bot: { id: '28:rapport', name: 'Rapport' },
    });
    // No app id: the local Emulator mode, outgoing calls carry no token.
    const adapter = new CloudAdapter(
      teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
    );
    adapter.onTurnError = teamsTurnErrorHandler(createLogger('silent')); // as teams.component.ts sets it
    connector = new TeamsConnector(adapter, '', async (id) => references.get(id));
  });
  afterAll(() => recorder.stop());
  beforeEach(() => recorder.reset());

  it('posts a valid Adaptive Card to the stored conversation and returns the activity id, then updates it in place', async () => {
    const { externalId } = await connector.post('teams:19:team@thread.tacv2', {
      title: 'Reminder',
      text: 'Call Acme',
      buttons: [{ label: 'Done', command: 'done 1' }],
    });
    expect(externalId).toBe(recorder.calls[0].answeredId);
    const [sent] = recorder.cards();
    expect(sent).toMatchObject({ method: 'POST', conversationId: '19:team@thread.tacv2', activityId: undefined });
    expect(adaptiveCardProblems(sent.card)).toEqual([]);
    expect(JSON.stringify(sent.card)).toContain('"rapport":"done 1"');

    await connector.update('teams:19:team@thread.tacv2', externalId, {
      title: 'Reminder',
      text: 'Call Acme',
      footer: 'Marked done by sam',
    });
    const updated = recorder.cards()[1];
    expect(updated).toMatchObject({ method: 'PUT', activityId: externalId });
    expect(adaptiveCardProblems(updated.card)).toEqual([]);
    expect(JSON.stringify(updated.card)).toContain('Marked done by sam');
    expect(JSON.stringify(updated.card)).not.toContain('done 1');
  });

  it('says not_found for a conversation the bot was never told about, without calling Teams', async () => {
    await expect(connector.post('teams:19:unknown', { text: 'x' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(connector.post('slack:T1/C2', { text: 'x' })).rejects.toMatchObject({ code: 'not_found' });
    expect(recorder.calls).toEqual([]);
  });

  // The SDK's HTTP pipeline would retry 429 (sleeping out Retry-After) and 5xx three times inside the
  // call, holding the delivery worker; Rapport switches that off, so one failure reaches the connector.
  it.each([
    [429, { 'retry-after': '30' }, 'rate_limited', 30_000],
    [401, {}, 'auth', undefined],
    [403, {}, 'auth', undefined],
    [404, {}, 'not_found', undefined],
    [412, {}, 'temporary', undefined],
    [502, {}, 'temporary', undefined],
    [503, { 'retry-after': '20' }, 'temporary', 20_000],
    [504, {}, 'temporary', undefined],
  ] as const)(
    'maps HTTP %i from Teams to a delivery error code at the first answer, without retrying inside the SDK',
    async (status, headers, code, retryAfterMs) => {
      recorder.failNext({ status, headers });
      const started = Date.now();
      const err = await connector.post('teams:19:team@thread.tacv2', { text: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect(err).toMatchObject({ code });
      expect((err as DeliveryError).retryAfterMs).toBe(retryAfterMs);
      expect(recorder.attempts).toBe(1);
      expect(recorder.calls).toEqual([]); // and no apology posted into the conversation
      expect(Date.now() - started).toBeLessThan(5_000); // no Retry-After sleep, no backoff
      // The next post goes through: the failure was Teams', not the connector's state.
      await connector.post('teams:19:team@thread.tacv2', { text: 'y' });
      expect(recorder.attempts).toBe(2);
    },
  );

  it('maps an update of a vanished message to not_found and an unreachable service to temporary', async () => {
    recorder.failNext({ status: 404 });
    await expect(connector.update('teams:19:team@thread.tacv2', 'gone', { text: 'x' })).rejects.toMatchObject({
      code: 'not_found',
    });
    references.set('19:down', {
      channelId: 'msteams',
      serviceUrl: 'http://127.0.0.1:1/',
      conversation: { id: '19:down' } as ConversationReference['conversation'],
      bot: { id: '28:rapport', name: 'Rapport' },
    });
    await expect(connector.post('teams:19:down', { text: 'x' })).rejects.toMatchObject({ code: 'temporary' });
  });
});
