import type { WebClient } from '@slack/web-api';
import { homeOverview } from '../../src/commands/home-overview.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import { formatInZone } from '../../src/domain/zoned-time.ts';
import { renderHome } from './render-home.ts';
import type { SlackListenerDeps } from './slack-request.ts';

/** Most channel memberships read for one Home tab (one users.conversations page). */
const MAX_CHANNELS = 500;

/**
 * Builds and publishes a user's Home tab (views.publish): their overdue, due-today and open
 * follow-ups, and recent suggestions assigned to them or posted to channels they are in
 * (users.conversations, channels:read / groups:read; private channels only where the bot is too).
 * When Slack cannot list the channels the suggestions assigned to the user are still shown.
 */
export async function publishHome(
  client: WebClient,
  deps: SlackListenerDeps,
  who: { teamId: string; userId: string; triggerId: string },
  notice?: Reply,
): Promise<void> {
  const [ctx, channelIds] = await Promise.all([deps.contextFor(who), memberChannels(client, who.userId, deps)]);
  const lists = await homeOverview(ctx, deps.commands, {
    channelTargets: channelIds.map((c) => `slack:${who.teamId}/${c}`),
  });
  const view = renderHome(lists, { notice, updatedAt: formatInZone(ctx.now, ctx.actor.timezone) });
  await client.views.publish({ user_id: who.userId, view });
}

async function memberChannels(client: WebClient, user: string, deps: SlackListenerDeps): Promise<string[]> {
  try {
    const res = await client.users.conversations({
      user,
      types: 'public_channel,private_channel',
      exclude_archived: true,
      limit: MAX_CHANNELS,
    });
    return (res.channels ?? []).flatMap((c) => (c.id ? [c.id] : []));
  } catch (err) {
    deps.logger.info(
      { err: (err as Error).message, user },
      'Home tab: users.conversations failed; showing suggestions assigned to the user only',
    );
    return [];
  }
}
