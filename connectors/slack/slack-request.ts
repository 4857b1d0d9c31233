import type { WebClient } from '@slack/web-api';
import type { CommandContext, PeopleDirectory } from '../../src/commands/command-context.ts';
import type { CommandDeps } from '../../src/commands/command-deps.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Logger } from '../../src/logger.ts';
import type { SlackConnector } from './slack.connector.ts';
import { renderBlocks } from './render-blocks.ts';
import { postJson } from './post-json.ts';
import type { SlackAutoLogger, SlackMessageEvent } from './slack-auto-logger.ts';
import { SlackUserDirectory, type SlackPersonStanding, type SlackUserProfile } from './slack-user-directory.ts';
import type { Standing } from '../../src/domain/roles.ts';
import type { ServesSlack } from './slack-served.ts';

/** What every Slack listener needs; built once by the component. */
export interface SlackListenerDeps {
  /** Runs a command of the shared grammar (app/chat.component.ts commandRunner), waiting its turn among the acknowledged requests. */
  run(text: string, ctx: CommandContext): Promise<Reply>;
  /**
   * Queues the work after an ack, in its turn, without keeping the request alive (slack-work-limiter.ts
   * `detach`); inside it, {@link execute} runs commands (the turn is taken already). Absent: the
   * caller awaits `run` as before.
   */
  detach?(work: () => Promise<void>): void;
  /** Runs a command of the shared grammar now; for work that already has its turn ({@link detach}). */
  execute?(text: string, ctx: CommandContext): Promise<Reply>;
  /**
   * True while so many acknowledged requests wait that a new command should be turned away with a
   * polite answer in its ack (nothing written) rather than queued. Absent = never.
   */
  busy?(): boolean;
  /** Builds the command context for a Slack user in a channel. */
  contextFor(req: SlackRequest): Promise<CommandContext>;
  connector: SlackConnector;
  /**
   * The Web API client for a workspace (its own bot token in OAuth mode). Inside a listener, Bolt's
   * `client` argument is the same thing for the requesting workspace.
   */
  clientFor(teamId: string): Promise<WebClient>;
  /** Installed per workspace by OAuth (SLACK_CLIENT_ID); absent with one SLACK_BOT_TOKEN. */
  installations?: SlackInstallations;
  /** Database and pipeline hooks, for what is more than one typed command: modal forms, customer options, the Home tab. */
  commands: CommandDeps;
  /**
   * People's profiles from users.info, cached (an hour; a failure a minute) and shared with the command
   * contexts and the auto-logger. Absent: users.info is asked at each use.
   */
  users?: Pick<SlackUserDirectory, 'get'>;
  /** Logs messages of customer channels (message events); absent = auto-logging off. */
  autoLogger?: SlackAutoLogger;
  /**
   * A message event the auto-logger could not log even after its retries (Slack has its ack and will not
   * send it again): marked to be read back from the channel's history. Absent = only logged as an error.
   */
  missed?(teamId: string, event: SlackMessageEvent): Promise<void>;
  /**
   * Slack said a person's account changed (user_change) and this process dropped what it holds of them:
   * tells every other process of the deployment to drop it too. Absent = this process only.
   */
  personChanged?(userId: string, standing: SlackPersonStanding | undefined): Promise<void>;
  logger: Logger;
}

/** What the uninstall and revoke listeners may do to stored installations. */
export interface SlackInstallations {
  /** Deletes the installation of a workspace or org (its tokens stop working). */
  remove(q: { teamId?: string; enterpriseId?: string; isEnterpriseInstall: boolean }): Promise<void>;
}

/** Where a command or click came from. */
export interface SlackRequest {
  /** The installation's workspace (Bolt's context.teamId): whose channels and token these are. */
  teamId: string;
  /**
   * The workspace the person belongs to, as the payload says (command team_id, user.team_id): another
   * one for a Slack Connect member or a request from a workspace Rapport is not installed in.
   */
  userTeamId?: string;
  /** The installation's Enterprise Grid org (context.enterpriseId): its other workspaces are ours too. */
  enterpriseId?: string;
  userId: string;
  channelId?: string;
  /** Slack's trigger_id: the same for a retried delivery of one command or click. */
  triggerId: string;
}

/** Where the command context builder gets people's profiles and, when Slack cannot say, their stored timezone. */
export interface SlackContextOptions {
  /** Shared users.info cache (the auto-logger uses the same one). Default: a private one. */
  directory?: SlackUserDirectory;
  /**
   * The timezone stored on the Rep with this platform id ("T1/U2"), used while users.info fails. A
   * stored Rep does not vouch that the person is one of ours: only Slack says who is a member.
   */
  storedTimezone?(platformUserId: string): Promise<string | undefined>;
  /**
   * OAuth installs: the workspaces and orgs served (SLACK_TEAM_IDS). A request whose installation is
   * another one's is from outside (the installation store already refuses it to Bolt). Absent: one
   * bot token, whose workspace the served-workspace middleware pins.
   */
  serves?: ServesSlack;
}

/**
 * Command contexts from Slack requests: actor `<team>/<user>` with the name, email (users:read.email:
 * how the Rep is recognised across platforms) and timezone users.info gives (cached for an hour); when
 * users.info fails, the rep's stored timezone, else the default one. The channel is the target, and
 * the trigger id is the request key so a retried command or click never writes twice.
 */
export function slackContextBuilder(
  clientFor: (teamId: string) => Promise<WebClient>,
  defaultTimezone: string,
  logger: Logger,
  opts: SlackContextOptions = {},
): (req: SlackRequest) => Promise<CommandContext> {
  const directory = opts.directory ?? new SlackUserDirectory(clientFor, logger);
  const lookup = async (
    teamId: string,
    userId: string,
  ): Promise<{ timezone: string; displayName?: string; email?: string }> => {
    const profile = await directory.get(teamId, userId);
    if (profile)
      return { timezone: profile.timezone || defaultTimezone, displayName: profile.name, email: profile.email };
    const stored = await opts.storedTimezone?.(`${teamId}/${userId}`).catch(() => undefined);
    return { timezone: stored || defaultTimezone };
  };
  /**
   * What Slack says about the person, as seen from the request's installation ({@link slackStanding});
   * an installation this deployment does not serve makes everyone external. Users.info failing: nobody
   * we can vouch for, a stored Rep included (Reps made before the follow-up modal checked its assignee
   * may be guests, and a guest must not run commands as a rep whenever Slack's API hiccups). A member
   * whose profile this process read in the last hour is still known from the users.info cache.
   */
  const standingOf = (req: SlackRequest, profile: SlackUserProfile | undefined): Standing => {
    if (opts.serves && !opts.serves({ teamId: req.teamId, enterpriseId: req.enterpriseId })) return 'external';
    return slackStanding({ teamId: req.teamId, enterpriseId: req.enterpriseId }, profile, req.userTeamId);
  };
  /**
   * Other people as this request's installation sees them (typed `assign`): the same standing as for
   * someone running a command, so the New follow-up form's assignee (which gets its actor from here
   * too) and typed `assign` are refused alike.
   */
  const peopleFor = (req: SlackRequest): PeopleDirectory => ({
    async describe(platform, platformUserId) {
      const [teamId, userId] = platformUserId.split('/');
      if (platform !== 'slack' || !teamId || !userId) return undefined;
      const profile = await directory.get(teamId, userId);
      if (!profile) return undefined;
      return {
        displayName: profile.name,
        email: profile.email,
        timezone: profile.timezone,
        standing: standingOf(
          { teamId: req.teamId, enterpriseId: req.enterpriseId, userId, triggerId: req.triggerId },
          profile,
        ),
        ...(profile.isBot ? { bot: true } : {}),
      };
    },
  });
  return async (req) => {
    const [user, profile] = await Promise.all([lookup(req.teamId, req.userId), directory.get(req.teamId, req.userId)]);
    return {
      actor: {
        platform: 'slack',
        platformUserId: `${req.teamId}/${req.userId}`,
        displayName: user.displayName,
        email: user.email,
        timezone: user.timezone,
        standing: standingOf(req, profile),
        platformAdmin: profile?.isAdmin === true,
      },
      channel: req.channelId
        ? {
            platform: 'slack',
            channelRef: `${req.teamId}/${req.channelId}`,
            target: `slack:${req.teamId}/${req.channelId}`,
          }
        : undefined,
      now: new Date(),
      requestKey: `slack:${req.teamId}:${req.triggerId}`,
      people: peopleFor(req),
    };
  };
}

/** The installation a request came through: its workspace and, in Enterprise Grid, its org. */
export interface SlackInstallationScope {
  teamId: string;
  enterpriseId?: string;
}

/**
 * Where a Slack user stands towards the installation (`where`), for the outsider gate, typed `assign`
 * and the New follow-up form alike:
 * - `payloadTeam`, the person's team as the payload says (a command's `team_id`, `user.team_id` of an
 *   interaction, which Slack reports as the org's E… id in Grid, an event's `user_team`): a team that
 *   is neither the workspace nor its org is another organisation. Payloads do not always carry it (a
 *   message shortcut's `user` has no `team_id` and its `team` may be null in an org-wide install; a
 *   modal's `users_select` gives only a user id), and its absence vouches for nobody;
 * - then users.info decides: failing, `unverified`; a guest; outside Grid the profile's `team_id` must
 *   be the workspace; in Grid its `enterprise_user.enterprise_id` must be the installation's org (a
 *   Slack Connect member of another org has their own, or none), else its `team_id` the workspace or
 *   the org. A profile that names no team is nobody's member.
 */
export function slackStanding(
  where: SlackInstallationScope,
  profile: SlackUserProfile | undefined,
  payloadTeam?: string,
): Standing {
  const ours = (team: string | undefined) =>
    team !== undefined && (team === where.teamId || (where.enterpriseId !== undefined && team === where.enterpriseId));
  if (payloadTeam !== undefined && !ours(payloadTeam)) return 'external';
  if (!profile) return 'unverified';
  if (profile.isGuest) return 'guest';
  const member =
    where.enterpriseId !== undefined && profile.enterpriseId !== undefined
      ? profile.enterpriseId === where.enterpriseId
      : where.enterpriseId !== undefined
        ? ours(profile.teamId)
        : profile.teamId === where.teamId;
  return member ? 'member' : 'external';
}

/**
 * Answers through a response_url (valid 30 minutes, 5 uses): ephemeral to the requester, or in place
 * of the message that carried the click.
 */
export async function answerViaResponseUrl(
  responseUrl: string,
  reply: Reply,
  mode: 'ephemeral' | 'replace',
): Promise<void> {
  const body =
    mode === 'replace'
      ? { replace_original: true, ...renderBlocks(reply) }
      : { response_type: 'ephemeral', replace_original: false, ...renderBlocks(reply) };
  const status = await postJson(responseUrl, body, 10_000);
  if (status < 200 || status > 299) throw new Error(`response_url answered HTTP ${status}`);
}

/**
 * After a click or a modal submission: the pipeline refreshes a follow-up's tracked card itself
 * (followUpChanged), so the clicker only gets the result ephemerally; the clicker's own ephemeral
 * result is replaced in place; any other message (a digest, a list in the channel) stays as it is
 * for everyone else and the clicker gets the result ephemerally.
 */
export async function answerClick(
  deps: SlackListenerDeps,
  req: SlackRequest,
  click: { command: string; messageTs?: string; ephemeralMessage: boolean; responseUrl?: string },
): Promise<Reply> {
  const reply = await deps.run(click.command, await deps.contextFor(req));
  const replaceInPlace = click.ephemeralMessage && reply.tone !== 'error' && click.responseUrl !== undefined;
  if (replaceInPlace) {
    await answerViaResponseUrl(click.responseUrl!, reply, 'replace');
    return reply;
  }
  if (click.responseUrl) await answerViaResponseUrl(click.responseUrl, reply, 'ephemeral');
  else if (req.channelId)
    await (await deps.clientFor(req.teamId)).chat.postEphemeral({
      channel: req.channelId,
      user: req.userId,
      ...renderBlocks(reply),
    });
  return reply;
}
