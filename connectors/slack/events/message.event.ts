import type { App, Context } from '@slack/bolt';
import { slackProfileOf, standingOf, type SlackUserObject } from '../slack-user-directory.ts';
import type { SlackListenerDeps } from '../slack-request.ts';
import type { SlackMessageEvent } from '../slack-auto-logger.ts';
import { servedOf } from '../outsider-gate.ts';
import { withRetries } from '../../../src/concurrency/retry.ts';
import { RapportError } from '../../../src/errors.ts';
import { takeBackFromSharedPlace } from '../../../src/services/shared-place.service.ts';

/**
 * Event types this file listens to (manifest.json bot_events: `message` stands for message.channels
 * and message.groups; channel_shared / channel_unshared say a channel's Slack Connect sharing changed;
 * member_joined_channel / member_left_channel say who reads it changed; user_change says a person's
 * account changed: made a guest, deactivated).
 */
export const MESSAGE_EVENTS = [
  'message',
  'channel_shared',
  'channel_unshared',
  'member_joined_channel',
  'member_left_channel',
  'user_change',
] as const;

/** The `authorizations` of an Events API body: the installation(s) the event was delivered for. */
interface EventAuthorizations {
  team_id?: string;
  authorizations?: Array<{ team_id?: string | null; enterprise_id?: string | null }>;
}

/**
 * The workspace an event belongs to for Rapport: the installation's (Bolt's context.teamId, from
 * `authorizations[0]`), never the body's top-level `team_id`, which in a Slack Connect channel is the
 * workspace of whoever wrote the message (the customer's). Undefined when the event was delivered
 * for a workspace this deployment does not serve (single-workspace mode: another workspace that also
 * installed the app): such events are ignored.
 */
export function eventTeamOf(context: Context, body: EventAuthorizations): string | undefined {
  const auth = body.authorizations?.[0];
  const installedFor = auth?.team_id ?? undefined;
  const served = servedOf(context);
  const team = served.teamId ?? installedFor ?? body.team_id;
  if (!team) return undefined;
  if (installedFor && installedFor !== team && (auth?.enterprise_id ?? undefined) !== served.enterpriseId)
    return undefined;
  return team;
}

/** Waits before the retries of a message whose logging failed (about 20 s in all: a failover, a restart of PostgreSQL). */
export const AUTO_LOG_RETRY_DELAYS_MS = [250, 1_000, 3_000, 6_000, 10_000] as const;

/**
 * Auto-logging: every message event in a channel Rapport is in goes to the auto-logger (which decides
 * whether the channel belongs to a customer). Bolt acknowledges Events API requests before listeners
 * run, so Slack never waits for the database; a retried delivery (X-Slack-Retry-Num) is logged once
 * because the message key is unique. A failure that is not a decision (a lost database connection) is
 * tried again (AUTO_LOG_RETRY_DELAYS_MS); one that stays is logged with the ids, never thrown back to Bolt,
 * and marked to be read back from the channel's history (slack-catch-up-loop.ts) once the fault is gone.
 * Membership and sharing events drop what Rapport remembered about the channel: whether it belongs to
 * a Slack Connect customer, and who can read it (the last-step guard asks Slack again before the next post);
 * a channel now shared with outsiders gets back nothing of what Rapport posted there (takeBackIfShared).
 */
export function registerMessageEvents(app: App, deps: SlackListenerDeps): void {
  const autoLogger = deps.autoLogger;
  const forget = (teamId: string | undefined, channel: string) => {
    if (!teamId) return;
    autoLogger?.forgetChannel(teamId, channel);
    deps.connector.audiences.forget(teamId, channel);
  };

  if (autoLogger)
    app.event('message', async ({ event, body, context }) => {
      const e = event as unknown as SlackMessageEvent;
      const teamId = eventTeamOf(context, body as EventAuthorizations);
      if (!teamId) {
        deps.logger.debug({ team: body.team_id, channel: e.channel }, 'Slack event for a workspace not served here');
        return;
      }
      try {
        // Slack has its 200 already and will not send this event again: a lost database connection or a
        // failover must not lose the customer's message. Logging it is idempotent (the message key), so
        // a try whose commit was not confirmed may run again.
        const result = await withRetries(() => autoLogger.handle(teamId, e), {
          delaysMs: AUTO_LOG_RETRY_DELAYS_MS,
          retryable: (err) => !(err instanceof RapportError),
          onRetry: (err, retry, delayMs) =>
            deps.logger.warn(
              { err: (err as Error).message, team: teamId, channel: e.channel, retry, delayMs },
              'Slack message could not be auto-logged yet; trying again',
            ),
        });
        if (result.action !== 'ignored')
          deps.logger.debug(
            { channel: e.channel, ts: e.ts ?? e.message?.ts ?? e.deleted_ts, result },
            'Slack message auto-logged',
          );
      } catch (err) {
        deps.logger.error(
          {
            err: (err as Error).message,
            team: teamId,
            channel: e.channel,
            ts: e.ts ?? e.message?.ts ?? e.deleted_ts,
            subtype: e.subtype,
          },
          'Slack message could not be auto-logged',
        );
        // Not a decision but a fault that outlasted the retries: read it back from Slack's history later.
        if (!(err instanceof RapportError))
          await deps
            .missed?.(teamId, e)
            .catch((markErr: unknown) =>
              deps.logger.error(
                { err: (markErr as Error).message },
                'could not mark the Slack message to be read back',
              ),
            );
      }
    });

  for (const type of ['channel_shared', 'channel_unshared', 'member_joined_channel', 'member_left_channel'] as const)
    app.event(type, async ({ event, body, context }) => {
      const teamId = eventTeamOf(context, body as EventAuthorizations);
      const channel = (event as { channel: string }).channel;
      forget(teamId, channel);
      if (teamId && (type === 'channel_shared' || type === 'member_joined_channel'))
        await takeBackIfShared(deps, type, `slack:${teamId}/${channel}`);
    });

  // A member made a guest (or deactivated) must not keep a member's standing, nor keep channels they
  // read counted internal, for the hour the profile cache would hold them: read again at the next use,
  // here at once and in every other process of the deployment through Redis (personChanged). With
  // Redis away, the others read the profile again within the hour.
  app.event('user_change', async ({ event }) => {
    const user = (event as { user?: SlackUserObject }).user;
    if (!user?.id) return;
    // A deactivated account: asked again everywhere (nothing of it is worth comparing).
    const standing = user.deleted ? undefined : standingOf(slackProfileOf(user));
    deps.connector.audiences.forgetPerson(user.id, standing);
    await deps.personChanged?.(user.id, standing);
  });
}

/**
 * The channel was shared with another organisation (channel_shared) or someone joined it
 * (member_joined_channel): when the audience check now finds people from outside the company there,
 * everything Rapport posted in it is taken back (takeBackFromSharedPlace). After channel_shared a check
 * that fails counts as shared (Slack said so); after a join it does not (every internal member's join
 * would otherwise take the channel's cards back whenever Slack's API hiccups): the last-step guard
 * takes them back at the next post there if the channel has outsiders. Never throws (Slack has its 200).
 */
async function takeBackIfShared(
  deps: SlackListenerDeps,
  type: 'channel_shared' | 'member_joined_channel',
  target: string,
): Promise<void> {
  try {
    const audience = await deps.connector.audience(target);
    if (audience === 'internal') return;
    if (audience === 'unknown' && type !== 'channel_shared') {
      deps.logger.warn({ target, event: type }, 'Slack: could not check who is in the channel someone joined');
      return;
    }
    await takeBackFromSharedPlace(deps.commands.db, deps.commands.hooks, target, deps.logger);
  } catch (err) {
    deps.logger.error(
      { target, event: type, err: (err as Error).message },
      'Slack: could not take back the posts of a channel shared with outsiders; the next post there tries again',
    );
  }
}
