import type { AnyMiddlewareArgs, App, Context } from '@slack/bolt';
import { roleOf, outsiderRefusal } from '../../src/domain/roles.ts';
import { MISSED_DEADLINE, withinDeadline } from '../../src/concurrency/deadline.ts';
import { answerViaResponseUrl, type SlackListenerDeps, type SlackRequest } from './slack-request.ts';

/** The workspace and person an interactive payload (command, click, shortcut, modal, options) says it came from. */
interface InteractiveBody {
  type?: string;
  command?: string;
  user_id?: string;
  team_id?: string;
  channel_id?: string;
  trigger_id?: string;
  response_url?: string;
  user?: { id?: string; team_id?: string };
  team?: { id?: string } | null;
  channel?: { id?: string };
}

const INTERACTIVE_TYPES = new Set([
  'block_actions',
  'message_action',
  'shortcut',
  'view_submission',
  'view_closed',
  'block_suggestion',
]);

/**
 * The request a listener works for: the installation's workspace from Bolt's context (the one whose
 * channels and token these are; in single-workspace mode always SLACK_BOT_TOKEN's team), the person's
 * own workspace from the payload (another one in a Slack Connect channel, or a workspace Rapport is
 * not installed in), and the Enterprise Grid org.
 */
export function slackRequestOf(
  context: Context,
  body: InteractiveBody,
  extra: { userId: string; channelId?: string; triggerId: string },
): SlackRequest {
  const payloadTeam = body.command !== undefined ? body.team_id : (body.user?.team_id ?? body.team?.id ?? undefined);
  const served = servedOf(context);
  return {
    teamId: served.teamId ?? payloadTeam ?? 'unknown',
    userTeamId: payloadTeam,
    enterpriseId: served.enterpriseId,
    ...extra,
  };
}

/** What {@link registerServedWorkspace} puts in Bolt's context. */
interface ServedContext {
  servedTeamId?: string;
  servedEnterpriseId?: string;
}

/**
 * The workspace this deployment serves for a request: with one bot token, SLACK_BOT_TOKEN's
 * (auth.test), whatever the payload claims; with OAuth installs, the installation Bolt authorized.
 */
export function servedOf(context: Context): { teamId?: string; enterpriseId?: string } {
  const c = context as Context & ServedContext;
  return c.servedTeamId
    ? { teamId: c.servedTeamId, enterpriseId: c.servedEnterpriseId }
    : { teamId: context.teamId, enterpriseId: context.enterpriseId };
}

/**
 * With one bot token Bolt's context.teamId is whatever the payload says (a Slack Connect member's
 * org, another workspace that installed the same app): this middleware pins the served workspace
 * from auth.test instead, before any listener or the outsider gate reads it.
 */
export function registerServedWorkspace(
  app: App,
  servedWorkspace: (() => Promise<{ teamId: string; enterpriseId?: string }>) | undefined,
): void {
  if (!servedWorkspace) return;
  app.use(async ({ context, next }) => {
    const served = await servedWorkspace();
    Object.assign(context, {
      servedTeamId: served.teamId,
      servedEnterpriseId: served.enterpriseId,
    } satisfies ServedContext);
    await next();
  });
}

/** How long a slash command may wait for the person's standing before it is acknowledged (Slack acks in 3 s). */
const ACK_BUDGET_MS = 2_000;
/**
 * How long a command acknowledged before the check answered may still wait for it. Its answer goes
 * through the response_url (valid 30 minutes), so a slow first `users.info` (a process that just
 * started, a burst) delays the command instead of losing it.
 */
const LATE_CHECK_MS = 60_000;
const BUSY_CHECKING =
  'Rapport is very busy right now and could not check who you are in time, so it did not save this. Please try again in a minute.';

/** What the gate puts in Bolt's context when it acknowledged a slash command itself. */
interface GateContext {
  ackedByGate?: true;
}

/**
 * True when the outsider gate already acknowledged this slash command (the person's check took
 * longer than the ack budget): the listener must not ack again (Bolt refuses a second ack) and
 * sends what it would have put in its ack through the response_url instead.
 */
export function ackedByGate(context: Context): boolean {
  return (context as Context & GateContext).ackedByGate === true;
}

/**
 * Refuses every command, click, shortcut and modal of an outsider (a guest, a Slack Connect member of
 * another organisation, a person of a workspace Rapport is not installed in, or someone Slack cannot
 * vouch for right now) before any listener runs: acknowledged (Slack wants an answer in 3 s), then
 * told why in one sentence through the response_url or ephemerally, and nothing else happens. Events
 * (messages to auto-log) pass: a customer's words in a customer channel are what Rapport is for.
 */
export function registerOutsiderGate(app: App, deps: SlackListenerDeps): void {
  app.use(async (args) => {
    const { body, context, next } = args as AnyMiddlewareArgs & { context: Context; next: () => Promise<void> };
    const b = body as InteractiveBody;
    const interactive = b.command !== undefined || (b.type !== undefined && INTERACTIVE_TYPES.has(b.type));
    const userId = b.user_id ?? b.user?.id;
    if (!interactive || !userId) return next();
    const req = slackRequestOf(context, b, {
      userId,
      channelId: b.channel_id ?? b.channel?.id,
      triggerId: b.trigger_id ?? 'gate',
    });
    const ack = (args as { ack?: (r?: unknown) => Promise<void> }).ack;
    // Slack wants the ack within 3 s and does not retry slash commands. When users.info is too slow to
    // say who the person is (a process that just started, a burst, a slow API), the command is
    // acknowledged now and waits for the answer; nothing runs before the person is known (fail closed:
    // an unknown person runs nothing), and only a check that never answers turns the command away.
    let ctx: Awaited<ReturnType<SlackListenerDeps['contextFor']>> | undefined;
    if (b.command !== undefined) {
      const checking = deps.contextFor(req);
      ctx = await withinDeadline(checking, ACK_BUDGET_MS).then((c) => (c === MISSED_DEADLINE ? undefined : c));
      if (ctx === undefined) {
        await ack?.();
        Object.assign(context, { ackedByGate: true } satisfies GateContext);
        deps.logger.info(
          { team: req.teamId, user: userId },
          'Slack command acknowledged before the person was checked; it runs once the check answers',
        );
        const late = await withinDeadline(checking, LATE_CHECK_MS);
        if (late === MISSED_DEADLINE) {
          deps.logger.warn(
            { team: req.teamId, user: userId },
            'Slack command turned away: could not check the person in time',
          );
          if (b.response_url)
            await answerViaResponseUrl(b.response_url, { tone: 'error', text: BUSY_CHECKING }, 'ephemeral').catch(
              (err: Error) =>
                deps.logger.info({ err: err.message }, 'could not tell the person their command was not run'),
            );
          return;
        }
        ctx = late;
      }
    } else ctx = await deps.contextFor(req);
    if (roleOf(ctx.actor, deps.commands.admins ?? []) !== 'outsider') return next();
    const sentence = outsiderRefusal(ctx.actor.standing);
    if (b.type === 'block_suggestion') await ack?.({ options: [] });
    else if (!ackedByGate(context)) await ack?.();
    deps.logger.info(
      {
        team: req.teamId,
        userTeam: req.userTeamId,
        user: userId,
        standing: ctx.actor.standing,
        type: b.type ?? 'command',
      },
      'Slack request from outside the company refused',
    );
    const reply = { tone: 'error' as const, text: sentence };
    try {
      if (b.response_url) await answerViaResponseUrl(b.response_url, reply, 'ephemeral');
      else if (req.channelId)
        await (await deps.clientFor(req.teamId)).chat.postEphemeral({
          channel: req.channelId,
          user: userId,
          text: sentence,
        });
    } catch (err) {
      deps.logger.info({ err: (err as Error).message }, 'could not tell an outsider their request was refused');
    }
  });
}
