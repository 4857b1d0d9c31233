import type { WebClient } from '@slack/web-api';
import type { CommandContext } from '../../src/commands/command-context.ts';
import type { CommandDeps } from '../../src/commands/command-deps.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Logger } from '../../src/logger.ts';
import type { SlackConnector } from './slack.connector.ts';
import { renderBlocks } from './render-blocks.ts';
import { postJson } from './post-json.ts';
import type { SlackAutoLogger, SlackMessageEvent } from './slack-auto-logger.ts';
import { SlackUserDirectory, type SlackUserProfile } from './slack-user-directory.ts';
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
  /** Logs messages of customer channels (message events); absent = auto-logging off. */
  autoLogger?: SlackAutoLogger;
  /**
   * A message event the auto-logger could not log even after its retries (Slack has its ack and will not
   * send it again): marked to be read back from the channel's history. Absent = only logged as an error.
   */
  missed?(teamId: string, event: SlackMessageEvent): Promise<void>;
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
  const ours = (team: string | undefined, req: SlackRequest) =>
    team === undefined || team === req.teamId || (req.enterpriseId !== undefined && team === req.enterpriseId);
  /**
   * What Slack says about the person: a guest, another organisation, or (users.info failed) nobody we
   * can vouch for, a stored Rep included: Reps made before the follow-up modal checked its assignee may
   * be guests, and a guest must not run commands as a rep whenever Slack's API hiccups. A member whose
   * profile this process read in the last hour is still known from the users.info cache.
   */
  const standingOf = async (req: SlackRequest, profile: SlackUserProfile | undefined): Promise<Standing> => {
    if (opts.serves && !opts.serves({ teamId: req.teamId, enterpriseId: req.enterpriseId })) return 'external';
    if (!ours(req.userTeamId, req)) return 'external';
    if (!profile) return 'unverified';
    if (profile.isGuest) return 'guest';
    // Outside Enterprise Grid a member's home team is the workspace; in a Grid org it may be any of
    // the org's workspaces, which the payload's team (checked above) already vouches for.
    if (req.enterpriseId === undefined && !ours(profile.teamId, req)) return 'external';
    return 'member';
  };
  return async (req) => {
    const [user, profile] = await Promise.all([lookup(req.teamId, req.userId), directory.get(req.teamId, req.userId)]);
    return {
      actor: {
        platform: 'slack',
        platformUserId: `${req.teamId}/${req.userId}`,
        displayName: user.displayName,
        email: user.email,
        timezone: user.timezone,
        standing: await standingOf(req, profile),
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
    };
  };
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
