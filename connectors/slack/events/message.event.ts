import type { App } from '@slack/bolt';
import type { SlackListenerDeps } from '../slack-request.ts';
import type { SlackMessageEvent } from '../slack-auto-logger.ts';

/**
 * Event types this file listens to (manifest.json bot_events: `message` stands for message.channels
 * and message.groups; channel_shared / channel_unshared say a channel's Slack Connect sharing changed).
 */
export const MESSAGE_EVENTS = ['message', 'channel_shared', 'channel_unshared'] as const;

/**
 * Auto-logging: every message event in a channel Rapport is in goes to the auto-logger (which decides
 * whether the channel belongs to a customer). Bolt acknowledges Events API requests before listeners
 * run, so Slack never waits for the database; a retried delivery (X-Slack-Retry-Num) is logged once
 * because the message key is unique. A failure is logged with the ids, never thrown back to Bolt.
 */
export function registerMessageEvents(app: App, deps: SlackListenerDeps): void {
  const autoLogger = deps.autoLogger;
  if (!autoLogger) return;

  app.event('message', async ({ event, body }) => {
    const e = event as unknown as SlackMessageEvent;
    try {
      const result = await autoLogger.handle(body.team_id, e);
      if (result.action !== 'ignored')
        deps.logger.debug(
          { channel: e.channel, ts: e.ts ?? e.message?.ts ?? e.deleted_ts, result },
          'Slack message auto-logged',
        );
    } catch (err) {
      deps.logger.error(
        {
          err: (err as Error).message,
          team: body.team_id,
          channel: e.channel,
          ts: e.ts ?? e.message?.ts ?? e.deleted_ts,
          subtype: e.subtype,
        },
        'Slack message could not be auto-logged',
      );
    }
  });

  app.event('channel_shared', async ({ event, body }) => {
    autoLogger.forgetChannel(body.team_id, event.channel);
  });
  app.event('channel_unshared', async ({ event, body }) => {
    autoLogger.forgetChannel(body.team_id, event.channel);
  });
}
