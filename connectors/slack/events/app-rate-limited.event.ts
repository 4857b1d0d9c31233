import type { App } from '@slack/bolt';
import type { Logger } from '../../../src/logger.ts';

/**
 * Slack's `app_rate_limited` notice (https://docs.slack.dev/reference/events/app_rate_limited): sent
 * when a workspace's events to this app exceed 30,000 an hour. It is an outer envelope with no inner
 * event, so Bolt cannot tell its type, calls no listener and never acknowledges it (Slack then sees a
 * 404 after 3 s). It is acknowledged here, after the receiver checked its signature, and logged as a
 * warning with the workspace and the minute from which events were dropped.
 */
export function acknowledgeRateLimitNotices(app: App, logger: Logger): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    const body = event.body as { type?: string; team_id?: string; minute_rate_limited?: number };
    if (body.type !== 'app_rate_limited') return processEvent(event);
    await event.ack();
    logger.warn(
      { team: body.team_id, minuteRateLimited: body.minute_rate_limited },
      "Slack app_rate_limited: Slack is dropping this workspace's events for this minute (over 30,000 an hour); messages sent meanwhile are not auto-logged",
    );
  };
}
