import { describe, expect, it } from 'vitest';
import { configProblems } from '../../helpers/config-problems.ts';
import { loadConfig } from '../../../src/config/env.ts';
import { redactSlackSecrets } from '../../../connectors/slack/slack-logger.ts';

const OAUTH = {
  SLACK_CLIENT_ID: '1.2',
  SLACK_CLIENT_SECRET: 'cs',
  SLACK_STATE_SECRET: 'ss',
  SLACK_SIGNING_SECRET: 'sig',
  SLACK_TEAM_IDS: 'T1',
};

describe('Slack set-ups in the configuration', () => {
  it('reads OAuth installs with the default install path and no redirect URI', () => {
    expect(loadConfig(OAUTH).slack).toMatchObject({
      clientId: '1.2',
      botToken: undefined,
      installPath: '/slack/install',
      redirectUri: undefined,
    });
    expect(
      loadConfig({
        ...OAUTH,
        SLACK_INSTALL_PATH: '/add-to-slack',
        SLACK_REDIRECT_URI: 'https://bot.example.com/oauth/done',
      }).slack,
    ).toMatchObject({
      installPath: '/add-to-slack',
      redirectUri: 'https://bot.example.com/oauth/done',
    });
  });

  it('reads Socket Mode: an app token and a bot token, no signing secret', () => {
    expect(loadConfig({ SLACK_APP_TOKEN: 'xapp-1', SLACK_BOT_TOKEN: 'xoxb-1' }).slack).toMatchObject({
      appToken: 'xapp-1',
      signingSecret: undefined,
    });
  });

  it('reads the burst rate that holds the work after an ack: 200 by default, off, or a positive number', () => {
    expect(loadConfig(OAUTH).slack?.burstRate).toBe(200);
    expect(loadConfig({ ...OAUTH, SLACK_BURST_RATE: 'off' }).slack?.burstRate).toBeUndefined();
    expect(loadConfig({ ...OAUTH, SLACK_BURST_RATE: '350' }).slack?.burstRate).toBe(350);
    for (const bad of ['0', '-5', 'fast'])
      expect(configProblems({ ...OAUTH, SLACK_BURST_RATE: bad })).toContain(
        `SLACK_BURST_RATE must be off or a number of requests per second above 0 (got "${bad}").`,
      );
  });

  it('OAuth installs need SLACK_TEAM_IDS, the workspaces and orgs served (read as a list); one bot token does not', () => {
    const { SLACK_TEAM_IDS: _, ...withoutTeams } = OAUTH;
    expect(configProblems(withoutTeams)).toEqual([
      'Slack OAuth installs need SLACK_TEAM_IDS: the workspace ids (T…) and Enterprise Grid org ids (E…) Rapport serves. Without it anyone who reaches the install page could install Rapport in their own workspace and read and post your CRM data there.',
    ]);
    expect(configProblems({ ...OAUTH, SLACK_TEAM_IDS: 'T1, acme' })).toEqual([
      'SLACK_TEAM_IDS must list Slack workspace ids (T…) and org ids (E…), comma-separated (got "acme").',
    ]);
    expect(loadConfig({ ...OAUTH, SLACK_TEAM_IDS: ' T1 , E2,' }).slack?.teamIds).toEqual(['T1', 'E2']);
    expect(configProblems({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'sig' })).toEqual([]);
  });

  it('says what is missing or wrong, in sentences', () => {
    expect(configProblems({ SLACK_CLIENT_ID: '1.2', SLACK_SIGNING_SECRET: 'sig', SLACK_TEAM_IDS: 'T1' })).toEqual([
      'Slack OAuth needs SLACK_CLIENT_SECRET and SLACK_STATE_SECRET next to SLACK_CLIENT_ID.',
    ]);
    expect(
      configProblems({
        SLACK_CLIENT_ID: '1.2',
        SLACK_CLIENT_SECRET: 'cs',
        SLACK_STATE_SECRET: 'ss',
        SLACK_APP_TOKEN: 'xapp-1',
        SLACK_TEAM_IDS: 'T1',
      }),
    ).toEqual([
      'Slack OAuth installs (SLACK_CLIENT_ID) need HTTP mode: set SLACK_SIGNING_SECRET (Socket Mode is for one development workspace with SLACK_BOT_TOKEN).',
    ]);
    expect(configProblems({ SLACK_APP_TOKEN: 'xoxb-wrong', SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual([
      'SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode).',
    ]);
    expect(configProblems({ ...OAUTH, SLACK_INSTALL_PATH: 'install' })).toEqual([
      'SLACK_INSTALL_PATH must be a path starting with / (got "install").',
    ]);
    expect(configProblems({ ...OAUTH, SLACK_REDIRECT_URI: '/slack/oauth_redirect' })).toEqual([
      'SLACK_REDIRECT_URI must be the full public URL of the OAuth redirect, such as https://rapport.example.com/slack/oauth_redirect (got "/slack/oauth_redirect").',
    ]);
  });
});

describe('redactSlackSecrets', () => {
  it('hides the client secret, the one-time code and tokens in what Bolt and the Web API client log', () => {
    const body =
      'http request body: {"code":"4711.abc","client_id":"1.2","client_secret":"s3cret","refresh_token":"xoxe-1-r"}';
    expect(redactSlackSecrets(body)).toBe(
      'http request body: {"code":"[REDACTED]","client_id":"1.2","client_secret":"[REDACTED]","refresh_token":"[REDACTED]"}',
    );
    expect(redactSlackSecrets('stored xoxb-123-456-abcDEF for T1; app xapp-1-A1-99-ff')).toBe(
      'stored xoxb-[REDACTED] for T1; app xapp-[REDACTED]',
    );
    expect(redactSlackSecrets('Received a message on the WebSocket: {"type":"hello"}')).toBe(
      'Received a message on the WebSocket: {"type":"hello"}',
    );
  });
});
