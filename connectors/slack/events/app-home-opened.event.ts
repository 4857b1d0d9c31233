import type { App } from '@slack/bolt';
import { publishHome } from '../publish-home.ts';
import { servedOf } from '../outsider-gate.ts';
import type { SlackListenerDeps } from '../slack-request.ts';

/** Event types this file listens to (manifest.json bot_events). */
export const HOME_EVENTS = ['app_home_opened'] as const;

/** Opening the app's Home tab publishes a fresh view of the user's follow-ups (the Messages tab is left alone). */
export function registerAppHomeOpened(app: App, deps: SlackListenerDeps): void {
  app.event('app_home_opened', async ({ event, body, client, context }) => {
    if (event.tab !== 'home') return;
    const teamId = servedOf(context).teamId ?? (body as { team_id?: string }).team_id ?? 'unknown';
    await publishHome(client, deps, { teamId, userId: event.user, triggerId: `home:${event.event_ts}` });
  });
}
