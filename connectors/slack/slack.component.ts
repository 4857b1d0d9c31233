import { randomUUID } from 'node:crypto';
import { SecretBox } from '../../src/db/secret-box.ts';
import { findRepByPlatformUser } from '../../src/db/rep.repository.ts';
import { App, ExpressReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import { commandRunner } from '../../src/runtime/command-runner.ts';
import type { Component } from '../../src/runtime/runtime.ts';
import type { ConnectorRuntime } from '../connector-runtime.ts';
import type { SlackConfig } from '../../src/config/env.ts';
import type { Logger } from '../../src/logger.ts';
import { SlackConnector } from './slack.connector.ts';
import { installedWorkspaceClients, singleWorkspaceClients, slackApiUrl } from './slack-clients.ts';
import { SlackInstallationStore } from './installation-store.ts';
import { installCallbackPages } from './install-pages.ts';
import { slackLogger } from './slack-logger.ts';
import { slackContextBuilder, type SlackListenerDeps } from './slack-request.ts';
import { registerSlackListeners } from './slack-listeners.ts';
import { SLACK_BOT_SCOPES } from './slack-scopes.ts';
import { socketModeConnection } from './socket-mode-connection.ts';
import { SlackUserDirectory } from './slack-user-directory.ts';
import { SlackChannelRouter } from './slack-channel-router.ts';
import { SlackAudience } from './slack-audience.ts';
import { registerServedWorkspace } from './outsider-gate.ts';
import { servesSlackTeams, type ServesSlack } from './slack-served.ts';
import { slackPrivacyCheck } from './slack-privacy.check.ts';
import { SlackCatchUpLoop } from './slack-catch-up-loop.ts';
import { SlackMissedMarks } from './slack-missed-marks.ts';
import { SlackMissedSpool, slackMissedSpoolDir } from './slack-missed-spool.ts';
import { SlackAutoLogger } from './slack-auto-logger.ts';
import { slackHeldAuthors } from './slack-held-authors.ts';
import { SlackWorkLimiter } from './slack-work-limiter.ts';
import { optionalHeadroomGate } from '../../src/concurrency/headroom-gate.ts';
import { burstHold, interactiveArrivals } from '../../src/concurrency/interactive-arrivals.ts';
import { platformUserKey } from '../../src/services/reps.service.ts';
import { acknowledgeRateLimitNotices } from './events/app-rate-limited.event.ts';
import { RedisBroadcast } from '../../src/redis/redis-broadcast.ts';
import type { SlackPersonStanding } from './slack-user-directory.ts';

/**
 * Acknowledged Slack requests worked on at once (commands, clicks, auto-logged messages); more wait their
 * turn. Eight keep the database and response_url round trips busy (bench:slack answers 500 commands/s
 * with it) while few of their callbacks queue ahead of an ack: with 32, ack p99 at 500/s was 75-112 ms,
 * with 8 39-52 ms, same runs.
 */
export const SLACK_WORK_CONCURRENCY = 8;

/** Where Slack sends slash commands, interactivity and events (manifest.json request URLs). */
export const SLACK_EVENTS_PATH = '/slack/events';

/** Where Slack sends people back after they approve an install, unless SLACK_REDIRECT_URI names another path. */
export const SLACK_OAUTH_REDIRECT_PATH = '/slack/oauth_redirect';

/**
 * Slack in one of three set-ups, all answering the same listeners (slack-listeners.ts):
 * - one workspace over HTTP: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET;
 * - many workspaces over HTTP: SLACK_CLIENT_ID/SECRET + SLACK_STATE_SECRET + SLACK_SIGNING_SECRET, with
 *   the OAuth install pages on the bot's HTTP server and each workspace's token in SlackInstallation;
 * - development: SLACK_BOT_TOKEN + SLACK_APP_TOKEN (no signing secret), over a Socket Mode WebSocket.
 * Every role registers the connector, because workers post suggestions, reminders and digests; roles
 * all and web also receive. Over HTTP Bolt verifies each request's signature before any listener runs.
 */
export async function slackComponent(runtime: ConnectorRuntime): Promise<Component | undefined> {
  const config = runtime.config.slack;
  if (!config) return undefined;
  const logger = runtime.logger.child({ module: 'slack' });
  const clientOpts = { apiUrl: config.apiUrl, logger };
  // OAuth installs: only the workspaces and orgs of SLACK_TEAM_IDS (env.ts requires it) are served.
  const serves = config.botToken ? undefined : servesSlackTeams(config.teamIds);
  const store = serves
    ? new SlackInstallationStore(runtime.db, logger, { secrets: new SecretBox(runtime.config.secretKeys), serves })
    : undefined;
  const clients = store
    ? installedWorkspaceClients(store, clientOpts)
    : singleWorkspaceClients(config.botToken!, clientOpts);
  // One users.info cache for commands, auto-logging and the last-step guard's member checks.
  const users = new SlackUserDirectory(clients.reading, logger);
  const connector = new SlackConnector(clients, logger, new SlackAudience(clients.reading, users, logger));
  runtime.registry.register(connector);
  // Workers ask users.info again about authors held as `unknown` (the held-author job).
  runtime.registry.registerHeldAuthors('slack', slackHeldAuthors({ db: runtime.db, users }));
  // Slack sends user_change (made a guest, deactivated) to one process: that one tells every process of
  // the deployment, workers too (their guard checks channel members), to read the person again.
  const personChanges = new RedisBroadcast<{ userId?: unknown; standing?: SlackPersonStanding; from?: unknown }>(
    runtime.redis,
    runtime.config.queuePrefix,
    'slack:user-changed',
    logger,
  );
  // The process that heard the event acted on it already (and compared with what it held then).
  const self = randomUUID();
  // Followed from start (not here): a factory that throws later would leave the subscriber open.
  const followPersonChanges = () =>
    personChanges.follow(({ userId, standing, from }) => {
      if (typeof userId !== 'string' || from === self) return;
      const known = standing && typeof standing === 'object' && typeof standing.isGuest === 'boolean';
      connector.audiences.forgetPerson(userId, known ? standing : undefined);
    });
  if (runtime.config.role === 'worker')
    return { name: 'slack-poster', start: followPersonChanges, stop: () => personChanges.stop() };

  const boltLogger = slackLogger(logger);
  const receiver = createReceiver(config, store, logger, serves);
  const app = new App({
    ...(config.botToken ? { token: config.botToken } : {}),
    receiver,
    logger: boltLogger,
    // Bolt's default conversation store (a Map read on every request) serves context.conversation,
    // which no listener uses: some 2% of the bot's CPU at 500 commands/s, all of it in front of acks.
    convoStore: false,
    // The `client` Bolt hands a listener: a person is waiting, so a couple of quick retries at most.
    clientOptions: {
      slackApiUrl: slackApiUrl(config.apiUrl),
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    },
  });

  acknowledgeRateLimitNotices(app, logger);
  const inFlight = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    interactiveArrivals.add();
    const work = next();
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });
  // With one bot token: the workspace served is SLACK_BOT_TOKEN's, whatever a payload claims.
  registerServedWorkspace(app, clients.servedWorkspace?.bind(clients));
  // Ask once at start (auth.test), so the first burst of commands does not wait for it before its ack.
  clients
    .servedWorkspace?.()
    .catch((err: unknown) =>
      logger.warn({ err: (err as Error).message }, 'Slack auth.test failed at start; asked again on the first request'),
    );
  app.error(async (err) => {
    logger.error({ err: err.message, code: (err as { code?: string }).code }, 'Slack listener failed');
  });

  // Work after an ack starts while the main thread has headroom, so a burst's acks go first (30 s at most:
  // the answer has Slack's 30 minutes, and a backlog that cannot move is shed by `busy` below).
  // Past SLACK_BURST_RATE requests a second the work waits whatever the utilization: a burst's acks
  // take the thread in turns with nothing but each other.
  const headroom = optionalHeadroomGate({
    maxUtilization: config.workHeadroom,
    hold: burstHold(config.burstRate),
    maxWaitMs: 30_000,
  });
  const work = new SlackWorkLimiter(SLACK_WORK_CONCURRENCY, headroom);
  // The rep's stored timezone while Slack cannot say.
  const storedTimezone = async (platformUserId: string) =>
    (await findRepByPlatformUser(runtime.db.prisma, [platformUserKey('slack', platformUserId)]))?.timezone;
  const autoLogger = new SlackAutoLogger({
    db: runtime.db,
    hooks: () => runtime.hooks,
    router: new SlackChannelRouter(runtime.db, clients.reading, logger),
    users,
    defaultTimezone: runtime.config.timezone,
    logger,
    limiter: work,
  });
  const catchUp = new SlackCatchUpLoop({
    db: runtime.db,
    redis: runtime.redis,
    prefix: runtime.config.queuePrefix,
    clientFor: clients.reading,
    autoLogger,
    marks: new SlackMissedMarks(
      runtime.redis,
      runtime.config.queuePrefix,
      new SlackMissedSpool(slackMissedSpoolDir(runtime.config.dataDir, runtime.config.queuePrefix)),
    ),
    logger,
    maxDays: config.catchUpDays,
  });
  // `assign 3 <@U0REP2>` names colleagues who never used Rapport: users.info says who they are, through
  // each request's context (contextFor: `people`, seen from the request's installation).
  const runCommand = commandRunner(runtime);
  const deps: SlackListenerDeps = {
    run: (text, ctx) => work.run(() => runCommand(text, ctx)),
    execute: runCommand,
    detach: (task) =>
      work.detach(task, (err) =>
        logger.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'Slack listener failed'),
      ),
    // Everything Slack sent that is not finished (this request included) counts: those working, those
    // waiting for a slot, those still fetching the person's profile before they queue, and commands
    // acknowledged and waiting on their own (detached).
    busy: () => inFlight.size + work.detachedCount > SLACK_WORK_CONCURRENCY + config.maxQueued,
    contextFor: slackContextBuilder(clients.reading, runtime.config.timezone, logger, {
      directory: users,
      storedTimezone,
      ...(serves ? { serves } : {}),
    }),
    connector,
    users,
    clientFor: clients.reading,
    ...(store ? { installations: store } : {}),
    // The hooks are read at each use, like commandRunner does: the pipeline may set them after this.
    commands: {
      db: runtime.db,
      get hooks() {
        return runtime.hooks;
      },
      admins: runtime.config.admins,
      businessHours: runtime.config.insights.businessHours,
      audience: (target) => connector.audience(target),
    },
    autoLogger,
    missed: (teamId, event) => catchUp.missed(teamId, event),
    personChanged: (userId, standing) => personChanges.publish({ userId, standing, from: self }),
    logger,
  };
  registerSlackListeners(app, deps);

  if (receiver instanceof ExpressReceiver) {
    runtime.app.use(receiver.router);
    if (store)
      logger.info(
        { installPath: config.installPath },
        'Slack OAuth installs: each workspace installs Rapport from the install path',
      );
  }
  const socket = receiver instanceof SocketModeReceiver ? socketModeConnection(receiver, logger) : undefined;
  const privacy = slackPrivacyCheck(runtime.db, connector, runtime.config.pipeline.defaultTarget);
  return {
    name: 'slack',
    readiness: [...(socket ? [socket.readiness] : []), privacy],
    start: async () => {
      await followPersonChanges();
      headroom?.start();
      await socket?.start();
      catchUp.start();
    },
    // Requests Slack already sent are answered after their ack; let them finish (no more holding back).
    stop: async () => {
      try {
        await catchUp.stop();
        autoLogger.stop();
        await socket?.stop();
        headroom?.stop();
        await Promise.allSettled([...inFlight]);
        await work.drained();
      } finally {
        await personChanges.stop();
      }
    },
  };
}

/** HTTP (with the OAuth install routes when there is no bot token) or Socket Mode without a signing secret. */
function createReceiver(
  config: SlackConfig,
  store: SlackInstallationStore | undefined,
  logger: Logger,
  serves: ServesSlack | undefined,
): Receiver {
  const boltLogger = slackLogger(logger);
  const clientOptions = { slackApiUrl: slackApiUrl(config.apiUrl) };
  if (!config.signingSecret) {
    // env.ts allows this only with SLACK_APP_TOKEN and SLACK_BOT_TOKEN.
    return new SocketModeReceiver({
      appToken: config.appToken!,
      logger: boltLogger,
      installerOptions: { clientOptions },
    });
  }
  if (config.appToken)
    logger.info('SLACK_APP_TOKEN is ignored: SLACK_SIGNING_SECRET is set, so Slack talks to Rapport over HTTP');
  const oauth =
    store && serves
      ? {
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          stateSecret: config.stateSecret,
          installationStore: store,
          scopes: [...SLACK_BOT_SCOPES],
          ...(config.redirectUri ? { redirectUri: config.redirectUri } : {}),
          installerOptions: {
            installPath: config.installPath,
            redirectUriPath: config.redirectUri ? new URL(config.redirectUri).pathname : SLACK_OAUTH_REDIRECT_PATH,
            // Straight to Slack's consent screen with a fresh state cookie; no landing page of ours.
            directInstall: true,
            clientOptions,
            callbackOptions: installCallbackPages(config.installPath, logger, {
              serves,
              slackApiUrl: clientOptions.slackApiUrl,
            }),
          },
        }
      : {};
  return new ExpressReceiver({
    signingSecret: config.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    logger: boltLogger,
    processBeforeResponse: false,
    ...oauth,
  });
}
