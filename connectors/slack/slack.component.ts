import { App, ExpressReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { commandRunner } from '../../app/chat.component.ts';
import type { Component, Runtime } from '../../app/runtime.ts';
import { createPostingClient, slackApiUrl, SlackConnector } from './slack.connector.ts';
import { slackLogger } from './slack-logger.ts';
import { slackContextBuilder, type SlackListenerDeps } from './slack-request.ts';
import { registerSlackListeners } from './slack-listeners.ts';

/** Where Slack sends slash commands, interactivity and events (manifest.json request URLs). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Slack, single workspace (SLACK_BOT_TOKEN), HTTP mode (SLACK_SIGNING_SECRET). Every role registers
 * the connector, because workers post suggestions, reminders and digests; roles all and web also
 * mount Bolt's receiver on the bot's HTTP server at /slack/events, where Bolt verifies each request's
 * signature (stale, forged or unsigned requests get 401 and a warning in the log) before any listener runs.
 */
export async function slackComponent(runtime: Runtime): Promise<Component | undefined> {
  const config = runtime.config.slack;
  if (!config) return undefined;
  const logger = runtime.logger.child({ module: 'slack' });
  if (!config.botToken) {
    logger.warn('Slack OAuth installs (SLACK_CLIENT_ID) are not supported yet: set SLACK_BOT_TOKEN for one workspace. Slack stays off.');
    return undefined;
  }
  const connector = new SlackConnector(createPostingClient({ token: config.botToken, apiUrl: config.apiUrl, logger }), logger);
  runtime.registry.register(connector);
  if (runtime.config.role === 'worker') return { name: 'slack-poster', stop: async () => {} };
  if (!config.signingSecret) {
    logger.warn('Slack Socket Mode (SLACK_APP_TOKEN without SLACK_SIGNING_SECRET) is not supported yet: Rapport posts to Slack but receives no commands or clicks.');
    return { name: 'slack-poster', stop: async () => {} };
  }

  const boltLogger = slackLogger(logger);
  const receiver = new ExpressReceiver({ signingSecret: config.signingSecret, endpoints: SLACK_EVENTS_PATH, logger: boltLogger, processBeforeResponse: false });
  const app = new App({ token: config.botToken, receiver, logger: boltLogger, clientOptions: { slackApiUrl: slackApiUrl(config.apiUrl) } });
  // Reads (users.info) and modals may retry on their own; posts go through the connector's client.
  const client = new WebClient(config.botToken, { slackApiUrl: slackApiUrl(config.apiUrl), logger: boltLogger, retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 } });

  const inFlight = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });
  app.error(async (err) => {
    logger.error({ err }, 'Slack listener failed');
  });

  const deps: SlackListenerDeps = {
    run: commandRunner(runtime),
    contextFor: slackContextBuilder(client, runtime.config.timezone, logger),
    connector,
    client,
    logger,
  };
  registerSlackListeners(app, deps);
  runtime.app.use(receiver.router);

  return {
    name: 'slack',
    // Requests Slack already sent are answered after their ack; let them finish.
    stop: async () => {
      await Promise.allSettled([...inFlight]);
    },
  };
}
