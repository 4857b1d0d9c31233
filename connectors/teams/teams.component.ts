import express, { type Request, type Response } from 'express';
import { fromThisMachine } from '../../src/net/this-machine.ts';
import { CloudAdapter } from 'botbuilder';
import type { Component } from '../../src/runtime/runtime.ts';
import { commandRunner } from '../../src/runtime/command-runner.ts';
import type { ConnectorRuntime } from '../connector-runtime.ts';
import {
  loadAnyReference,
  loadConversationReference,
  loadPersonalReference,
  keepReferencesWithoutAuthors,
  saveConversationReference,
} from './conversation-references.ts';
import { TeamsConnector } from './teams.connector.ts';
import { TeamsGraphMessages } from './teams-graph-messages.ts';
import { TeamsBot } from './teams-bot.ts';
import { TeamsAutoLogger } from './teams-auto-logger.ts';
import { teamsHeldAuthors } from './teams-held-authors.ts';
import { teamsStanding } from './teams-standing.ts';
import { TeamsMemberCache } from './teams-member-cache.ts';
import { withSdkConsoleIn } from './sdk-console.ts';
import { teamsTurnErrorHandler } from './teams-turn-error.ts';
import { teamsAuthentication, type TeamsCloudSettings } from './teams-authentication.ts';
import { channelPrivacyCheck } from '../channel-privacy.check.ts';
import { RedisBroadcast } from '../../src/redis/redis-broadcast.ts';

/** Where Teams (Azure Bot Service) and the Bot Framework Emulator send activities. */
export const TEAMS_MESSAGES_PATH = '/api/messages';

/** What the configuration does not say; only tests pass these. */
export interface TeamsComponentOptions {
  /** Token endpoints and signing keys other than the public Azure cloud's (tests: a local OpenID metadata server). */
  cloud?: TeamsCloudSettings;
}

/**
 * The Microsoft Teams connector. Every role registers it for posting (workers deliver reminders);
 * roles all and web also receive activities at /api/messages. With MICROSOFT_APP_ID the SDK checks
 * every request's JWT (issuer, audience = app id, signing keys from Microsoft's OpenID metadata);
 * without it (TEAMS_ENABLED=true) nothing is authenticated, so only requests from this machine are
 * accepted: the local Bot Framework Emulator mode.
 */
export async function teamsComponent(
  runtime: ConnectorRuntime,
  options: TeamsComponentOptions = {},
): Promise<Component | undefined> {
  const teams = runtime.config.teams;
  if (!teams) return undefined;
  const logger = runtime.logger.child({ module: 'teams' });
  const adapter = new CloudAdapter(teamsAuthentication(teams, options.cloud));
  adapter.onTurnError = teamsTurnErrorHandler(logger);
  const connector = new TeamsConnector(
    adapter,
    teams.appId ?? '',
    (id) => loadConversationReference(runtime.db, id),
    { tenantId: teams.tenantId, internalDomains: runtime.config.internalDomains },
    // Reps' 1:1 chats: where a reminder's private copy goes (opened on first post when none is stored).
    {
      stored: (userId) => loadPersonalReference(runtime.db, userId),
      anyReference: (tenantId) => loadAnyReference(runtime.db, tenantId),
      save: (reference, extras) => saveConversationReference(runtime.db, reference, extras),
    },
    // Reads conversations back after a worker lost track of a post (findPosted).
    new TeamsGraphMessages({
      appId: teams.appId,
      appPassword: teams.appPassword,
      tenantId: teams.tenantId,
      graphUrl: teams.graphUrl,
      loginUrl: teams.loginUrl,
      logger,
    }),
  );
  runtime.registry.register(connector);
  // Workers ask getMember again about authors held as `unknown` (the held-author job).
  runtime.registry.registerHeldAuthors(
    'teams',
    teamsHeldAuthors({
      db: runtime.db,
      adapter,
      appId: teams.appId ?? '',
      reference: (channelRef) => loadConversationReference(runtime.db, channelRef),
      internalDomains: runtime.config.internalDomains,
      defaultTimezone: runtime.config.timezone,
      tenantId: teams.tenantId,
      logger,
    }),
  );
  if (runtime.config.role === 'worker') return { name: 'teams-poster', stop: async () => {} };

  // What getMember said about each author, for an hour: the auto-logger reads it before asking, the
  // standing check when Teams does not answer.
  const members = new TeamsMemberCache();
  // A conversationUpdate (someone joined or left) reaches one process: it tells every process holding
  // a member cache (roles all and web) to ask Teams about those people again.
  const memberChanges = new RedisBroadcast<{ ids?: unknown }>(
    runtime.redis,
    runtime.config.queuePrefix,
    'teams:members-changed',
    logger,
  );
  const autoLogger = new TeamsAutoLogger({
    db: runtime.db,
    hooks: runtime.hooks,
    internalDomains: runtime.config.internalDomains,
    defaultTimezone: runtime.config.timezone,
    tenantId: teams.tenantId,
    members,
    logger,
  });
  const bot = new TeamsBot({
    executeCommand: commandRunner(runtime),
    db: runtime.db,
    hooks: runtime.hooks,
    // The log form reads a picked day in the team's hours, as typed commands do.
    businessHours: runtime.config.insights.businessHours,
    timezone: runtime.config.timezone,
    internalDomains: runtime.config.internalDomains,
    logger,
    autoLogger,
    connector,
    appId: teams.appId ?? '',
    tenantId: teams.tenantId,
    standingOf: (context) =>
      teamsStanding(context, {
        members,
        tenantId: teams.tenantId,
        internalDomains: runtime.config.internalDomains,
      }),
    membersChanged: async (ids) => {
      members.forget(ids);
      await memberChanges.publish({ ids });
    },
  });
  const localOnly = !teams.appId;
  let stopStripping: (() => void) | undefined;
  runtime.app.post(TEAMS_MESSAGES_PATH, express.json({ limit: '1mb' }), async (req: Request, res: Response) => {
    if (localOnly && !fromThisMachine(req, runtime.config.signIn.publicUrl)) {
      res.status(401).json({
        error: 'unauthorized',
        message:
          'Teams runs without MICROSOFT_APP_ID (Emulator mode) and accepts requests made on this machine only (not through a proxy, not while RAPPORT_PUBLIC_URL publishes Rapport).',
      });
      return;
    }
    await withSdkConsoleIn(logger, () => adapter.process(req, res, (context) => bot.run(context)));
    if (res.statusCode === 401) logger.warn({ path: req.path }, 'Teams request refused: no valid Bot Framework token');
  });
  if (localOnly)
    logger.warn(
      'Teams runs without MICROSOFT_APP_ID: /api/messages is unauthenticated and accepts requests from this machine only (Bot Framework Emulator mode).',
    );
  else
    logger.info(
      { appId: teams.appId, appType: teams.appType },
      'Teams connector listening at /api/messages; every request must carry a valid Bot Framework token',
    );
  return {
    name: 'teams',
    readiness: [
      { name: 'teams', check: () => connector.health() },
      channelPrivacyCheck('teams', runtime.db, (t) => connector.audience(t), runtime.config.pipeline.defaultTarget),
    ],
    // Followed from start (not in the factory): a later factory that throws would leave it open.
    start: async () => {
      await memberChanges.follow(({ ids }) => {
        if (Array.isArray(ids)) members.forget(ids.filter((id): id is string => typeof id === 'string'));
      });
      stopStripping = keepReferencesWithoutAuthors(runtime.db, logger);
    },
    stop: async () => {
      stopStripping?.();
      autoLogger.stop();
      await memberChanges.stop();
    },
  };
}
