import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto, startTestProcess, type TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SocketModeServer } from '../../helpers/socket-mode-server.ts';

const APP_TOKEN = 'xapp-1-A1-test-app-token';

describe('Slack Socket Mode (SLACK_APP_TOKEN, no signing secret): the same listeners over a WebSocket', () => {
  const slack = new SlackRecorder();
  const socket = new SocketModeServer();
  const logLines: string[] = [];
  let test: TestProcess | undefined;
  let proc: RunningProcess;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    slack.socketModeUrl = await socket.start();
    test = await startTestProcess(
      'pglite',
      {
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_BOT_TOKEN: 'xoxb-socket-test',
        SLACK_API_URL: apiUrl,
        LOG_LEVEL: 'info',
      },
      { name: 'slack-socket', logger: loggerInto(logLines, 'info') },
    );
    proc = test.proc;
  });

  afterAll(async () => {
    await test?.dispose();
    await socket.stop();
    await slack.stop();
  });

  it('opens the connection with the app token, acks a /crm help envelope and answers it', async () => {
    await socket.connection();
    const open = slack.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0].token).toBe(APP_TOKEN);

    socket.send('env-crm-help', 'slash_commands', {
      token: 'legacy',
      team_id: 'T1',
      team_domain: 'acme',
      channel_id: 'CSALES',
      channel_name: 'sales',
      user_id: 'U1',
      user_name: 'jo',
      command: '/crm',
      text: 'help',
      api_app_id: 'A1',
      response_url: slack.responseUrl('socket-help'),
      trigger_id: 'socket-trigger-1',
    });

    const ack = await eventually('the ack of the envelope', async () =>
      socket.replies.find((r) => r.envelope_id === 'env-crm-help'),
    );
    expect(ack.payload ?? {}).toEqual({});
    const answer = await eventually('the answer to /crm help', async () => slack.callsTo('respond/socket-help')[0]);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.body.text)).toMatch(/log/i);
    // The listener ran with the bot token, not the app token.
    expect(slack.callsTo('users.info').at(-1)?.token).toBe('xoxb-socket-test');
    // There is no HTTP endpoint for Slack in this mode.
    expect((await fetch(`${proc.url}/slack/events`, { method: 'POST', body: '' })).status).toBe(404);
    expect(logLines.join('')).not.toContain(APP_TOKEN);
    const ready = (await (await fetch(`${proc.url}/readyz`)).json()) as {
      checks: Record<string, { ok: boolean; detail: string }>;
    };
    expect(ready.checks.slack).toMatchObject({ ok: true, detail: 'connected to Slack over Socket Mode' });
  });

  it('acks an app_uninstalled event envelope and, with one bot token, says the token no longer works', async () => {
    await socket.connection(); // the other test may not have run first: the bot connects as it starts
    socket.send('env-uninstalled', 'events_api', {
      token: 'legacy',
      team_id: 'T1',
      api_app_id: 'A1',
      type: 'event_callback',
      event_id: 'Ev1',
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        { enterprise_id: null, team_id: 'T1', user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
      ],
      event: { type: 'app_uninstalled', event_ts: String(Date.now() / 1000) },
    });
    await eventually('the ack of the event envelope', async () =>
      socket.replies.find((r) => r.envelope_id === 'env-uninstalled'),
    );
    await eventually('the log line', async () =>
      logLines.find((l) => l.includes('SLACK_BOT_TOKEN no longer works') && l.includes('"team":"T1"')),
    );
  });
});

describe('Slack Socket Mode with an app token Slack refuses', () => {
  it('starts the rest of Rapport and says on /readyz and in the log what to fix', async () => {
    const slack = new SlackRecorder(); // no socketModeUrl: apps.connections.open answers invalid_auth
    const apiUrl = await slack.start();
    const logLines: string[] = [];
    const test = await startTestProcess(
      'pglite',
      { SLACK_APP_TOKEN: 'xapp-1-revoked', SLACK_BOT_TOKEN: 'xoxb-socket-test', SLACK_API_URL: apiUrl },
      { name: 'slack-socket-bad', logger: loggerInto(logLines, 'info') },
    );
    const proc = test.proc;
    try {
      const sentence =
        "Slack refused SLACK_APP_TOKEN (invalid_auth): create an app-level token with the connections:write scope and turn on Socket Mode in the app's settings.";
      const slackCheck = await eventually('the refusal on /readyz', async () => {
        const ready = (await (await fetch(`${proc.url}/readyz`)).json()) as {
          checks: Record<string, { ok: boolean; detail: string }>;
        };
        return ready.checks.slack?.detail === sentence ? ready.checks.slack : undefined;
      });
      expect(slackCheck.ok).toBe(false);
      expect(logLines.some((l) => l.includes(sentence))).toBe(true);
      expect((await fetch(`${proc.url}/console`)).status).toBe(200); // the rest runs
    } finally {
      await test.dispose();
      await slack.stop();
    }
  });
});
