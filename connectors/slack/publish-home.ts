import type { WebClient } from '@slack/web-api';
import { homeOverview } from '../../src/commands/home-overview.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import { formatInZone } from '../../src/domain/zoned-time.ts';
import { renderHome } from './render-home.ts';
import type { SlackListenerDeps } from './slack-request.ts';

/**
 * Builds and publishes a user's Home tab (views.publish). Suggestions count as "for my channels" when
 * they were posted to this workspace's channels or are assigned to the user: without the
 * channels:read scope Rapport cannot list which channels a user is in.
 */
export async function publishHome(client: WebClient, deps: SlackListenerDeps, who: { teamId: string; userId: string; triggerId: string }, notice?: Reply): Promise<void> {
  const ctx = await deps.contextFor(who);
  const lists = await homeOverview(ctx, deps.commands, { channelTargetPrefixes: [`slack:${who.teamId}/`] });
  const view = renderHome(lists, { notice, updatedAt: formatInZone(ctx.now, ctx.actor.timezone) });
  await client.views.publish({ user_id: who.userId, view });
}
