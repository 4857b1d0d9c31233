import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../connectors/chat-connector.ts';
import { createPostingClient, parseSlackTarget, SlackConnector } from '../../../connectors/slack/slack.connector.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';

const TOKEN = 'xoxb-test-token';
const card = {
  title: 'Reminder: follow up with acme',
  text: 'Reminder <b>',
  buttons: [{ label: 'Done', command: 'done 3' }],
};

describe('SlackConnector against a recording Web API', () => {
  let slack: SlackRecorder;
  let connector: SlackConnector;
  beforeEach(async () => {
    slack = new SlackRecorder();
    const apiUrl = await slack.start();
    connector = new SlackConnector(createPostingClient({ token: TOKEN, apiUrl: apiUrl.replace(/\/$/, '') }));
  });
  afterEach(async () => {
    await slack.stop();
  });

  it('posts Block Kit with the delivery key as metadata, finds it again by key, and updates it in place', async () => {
    const { externalId } = await connector.post('slack:T1/C9', card, { idempotencyKey: 'suggestion:f1' });
    const [call] = slack.callsTo('chat.postMessage');
    expect(call.token).toBe(TOKEN);
    expect(call.body).toMatchObject({
      channel: 'C9',
      text: 'Reminder <b>',
      metadata: { event_type: 'rapport_delivery', event_payload: { key: 'suggestion:f1' } },
    });
    expect(call.body.blocks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'header' }),
        expect.objectContaining({ type: 'actions' }),
      ]),
    );
    expect(externalId).toBe(slack.messages[0].ts);

    await connector.post('slack:T1/C9', { text: 'other' }, { idempotencyKey: 'suggestion:f2' });
    expect(await connector.findPosted('slack:T1/C9', 'suggestion:f1')).toEqual({ externalId });
    expect(await connector.findPosted('slack:T1/C9', 'suggestion:nope')).toBeUndefined();
    expect(slack.callsTo('conversations.history')[0].body).toMatchObject({ channel: 'C9', include_all_metadata: true });

    await connector.update('slack:T1/C9', externalId, { text: 'Done: #3', footer: 'Marked done by sam' });
    expect(slack.callsTo('chat.update')[0].body).toMatchObject({ channel: 'C9', ts: externalId, text: 'Done: #3' });
    expect(slack.messages[0]).toMatchObject({ edited: true, text: 'Done: #3' });
  });

  it('finds a keyed post in a busy channel, past the first page of history', async () => {
    const { externalId } = await connector.post('slack:T1/C9', card, { idempotencyKey: 'suggestion:busy' });
    // 450 newer messages: the keyed one is on the third page of 200.
    for (let i = 0; i < 450; i++) await connector.post('slack:T1/C9', { text: `chatter ${i}` });
    expect(await connector.findPosted('slack:T1/C9', 'suggestion:busy')).toEqual({ externalId });
    expect(slack.callsTo('conversations.history')).toHaveLength(3);
    expect(await connector.findPosted('slack:T1/C9', 'suggestion:never')).toBeUndefined();
    expect(slack.callsTo('conversations.history')).toHaveLength(6);
  });

  it('replies in a thread when the target names one', async () => {
    await connector.post('slack:T1/C9/1700000000.000001', { text: 'in thread' });
    expect(slack.callsTo('chat.postMessage')[0].body).toMatchObject({ channel: 'C9', thread_ts: '1700000000.000001' });
    expect(() => parseSlackTarget('slack:C9')).toThrow(DeliveryError);
  });

  it('reports a 429 as rate_limited with Retry-After, without retrying the post itself', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 7 });
    const err = await connector.post('slack:T1/C9', card).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 7000 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(slack.messages).toHaveLength(0);
  });

  it.each([
    ['invalid_auth', 'auth'],
    ['token_revoked', 'auth'],
    ['account_inactive', 'auth'],
    ['channel_not_found', 'not_found'],
    ['not_in_channel', 'not_found'],
    ['message_not_found', 'not_found'],
    ['ratelimited', 'rate_limited'],
    ['internal_error', 'temporary'],
  ])('maps Slack error %s to %s', async (error, code) => {
    slack.failNext('chat.update', { error });
    await expect(connector.update('slack:T1/C9', '1.2', card)).rejects.toMatchObject({ name: 'DeliveryError', code });
  });

  it('maps 5xx answers and unreachable Slack to temporary, once each', async () => {
    slack.failNext('chat.postMessage', { status: 503 });
    await expect(connector.post('slack:T1/C9', card)).rejects.toMatchObject({ code: 'temporary' });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    await slack.stop();
    await expect(connector.post('slack:T1/C9', card)).rejects.toMatchObject({ code: 'temporary' });
  });

  it('reports health from auth.test', async () => {
    expect(await connector.health()).toEqual({ ok: true, detail: 'connected as @rapport in Acme' });
    slack.failNext('auth.test', { error: 'invalid_auth' });
    expect(await connector.health()).toEqual({ ok: false, detail: 'authentication failed: check SLACK_BOT_TOKEN' });
  });
});
