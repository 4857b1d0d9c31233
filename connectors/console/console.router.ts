import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { rememberDirectPost } from '../../src/services/shared-place.service.ts';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { CommandContext } from '../../src/commands/command-context.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Database } from '../../src/db/database.ts';
import { RapportError, userMessage } from '../../src/errors.ts';
import { getCustomerCard } from '../../src/services/customer-card.service.ts';
import { exportCustomer, formatCustomerExport } from '../../src/services/export-customer.service.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';
import type { ConsoleFeed } from './console-feed.ts';
import { ConsoleConnector } from './console.connector.ts';
import type { ConsoleSignInConfig } from '../../src/config/env.ts';
import { consoleAccess, viewerOf } from './console-access.ts';
import { consoleActor } from './console-actor.ts';
import { createConsoleApiRouter, type CustomerHealthSource } from './console-api.router.ts';
import { consoleRequestGuard } from './console-request-guard.ts';
import { insightsCustomerHealth } from './insights-customer-health.ts';
import { createMyDayRouter } from './my-day.router.ts';
import { slackSignInStanding, type SlackUsersConfig } from './slack-sign-in-standing.ts';
import type { InsightsSettings } from '../../src/insights/insights-settings.ts';
import { createSignInRouter } from './console-sign-in.router.ts';
import { replyHttpStatus } from './reply-http-status.ts';
import type { Logger } from '../../src/logger.ts';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
/** Conversations per page of a customer's timeline. */
const RECORDS_PER_PAGE = 50;

/** The console's pages: path -> file in public/. */
const PAGES: Record<string, string> = {
  '/console': 'index.html',
  '/console/customers': 'customers.html',
  '/console/customer': 'customer.html',
  // Links from before the customer page (`?customer=<name or id>`) open it too.
  '/console/timeline': 'customer.html',
  '/console/followups': 'followups.html',
  '/console/channel': 'channel.html',
  '/console/import': 'import.html',
  '/console/senders': 'senders.html',
  '/console/today': 'today.html',
};
/** Scripts and styles under /console/ (a fixed list: no path from the request reaches the file system). */
const ASSETS = new Set([
  'app.js',
  'nav.js',
  'page.js',
  'feed.js',
  'render-reply.js',
  'customers.js',
  'customer.js',
  'followups.js',
  'channel.js',
  'import.js',
  'senders.js',
  'today.js',
  'style.css',
]);

export interface ConsoleRouterDeps {
  /** Runs a command of the shared grammar (src/commands/execute-command.ts bound to the process's deps). */
  executeCommand: (text: string, ctx: CommandContext) => Promise<Reply>;
  db: Database;
  /** When set, non-local clients may use the console with this bearer token; unset = localhost only. */
  consoleToken?: string;
  /** The data-dir lock's tool token, with the embedded database: `rapport` commands send it. */
  toolToken?: string;
  /** Public address, session cookies and OIDC providers (config.signIn). Default: none of them (localhost only). */
  signIn?: ConsoleSignInConfig;
  /** RAPPORT_ADMINS: Slack and Microsoft sign-ins listed there are admins. */
  admins?: readonly string[];
  /** IANA timezone console users type dates in until they set their own with `timezone` (RAPPORT_TIMEZONE). */
  timezone: string;
  /** Takes back a team-channel answer naming a customer erased while it was posted (rememberDirectPost). Absent: not taken back. */
  hooks?: Pick<PipelineHooks, 'cardsRetracted'>;
  /** Warnings that are not the asker's problem (the team channel feed unreachable). */
  logger?: Logger;
  /** The connector whose feed is the "team channel". Default: a new one (reachable as `router.connector`). */
  connector?: ConsoleFeed;
  /** Customer health for the customers page's column and sort. Default: from `insights` when given, else none. */
  customerHealth?: CustomerHealthSource;
  /**
   * Insights settings (config.insights): with them the console shows customer health (customers list,
   * customer page, "My day") from the insights engine. Default: none (no health figures).
   */
  insights?: InsightsSettings;
  /** Slack's Web API for checking who signs in with Slack (guests and other workspaces are refused). */
  slackUsers: SlackUsersConfig;
  /**
   * Redis shared by the console processes and the deployment's key prefix (RAPPORT_QUEUE_PREFIX): the
   * password sign-in throttle counts there, so every process sees every wrong password. Absent: each
   * process counts its own.
   */
  redis?: Redis;
  redisPrefix?: string;
}

/**
 * The local web console: `/console` (chat + team channel), `/console/timeline?customer=`, static assets,
 * and the JSON API `/api/command`, `/api/channel/stream` (SSE), `/api/customers/:id/timeline`,
 * `/api/customers/:id/export`.
 * Mount at `/`.
 */
export function createConsoleRouter(
  deps: ConsoleRouterDeps,
): express.Router & { connector: ConsoleFeed; closeStreams(): void } {
  const connector = deps.connector ?? new ConsoleConnector();
  const router = express.Router() as express.Router & { connector: ConsoleFeed; closeStreams(): void };
  router.connector = connector;
  // Open event streams never finish by themselves: a draining process ends them (browsers reconnect).
  const streams = new Set<Response>();
  router.closeStreams = () => {
    for (const res of streams) res.end();
  };
  const signIn: ConsoleSignInConfig = deps.signIn ?? {
    publicUrl: undefined,
    sessionSecret: undefined,
    sessionHours: 12,
    slack: undefined,
    entra: undefined,
  };
  const access = consoleAccess({ db: deps.db, consoleToken: deps.consoleToken, toolToken: deps.toolToken, signIn });
  // Everything the console serves, the insights pages and API included (mounted after this router).
  const paths = [
    '/console',
    '/api/command',
    '/api/channel',
    '/api/customers',
    '/api/followups',
    '/api/import',
    '/api/unconfirmed-senders',
    '/api/me',
    '/api/my-day',
    '/api/insights',
    // `rapport mail` run by the process that holds the embedded database (connectors/imap/mail-command.router.ts).
    '/api/mail-command',
  ];
  router.use(paths, consoleRequestGuard(signIn.publicUrl));
  router.use(
    createSignInRouter({
      db: deps.db,
      access,
      signIn,
      admins: deps.admins ?? [],
      timezone: deps.timezone,
      logger: deps.logger,
      slackStanding: deps.signIn?.slack ? slackSignInStanding(deps.db, deps.slackUsers) : undefined,
      redis: deps.redis,
      redisPrefix: deps.redisPrefix,
    }),
  );
  router.use(paths, access.requirePerson);

  const page = (file: string, type: string) => (_req: Request, res: Response) => {
    res.type(type).set('Cache-Control', 'no-store').sendFile(join(PUBLIC_DIR, file));
  };
  for (const [path, file] of Object.entries(PAGES)) router.get(path, page(file, 'html'));
  router.get('/console/:asset', (req, res, next) => {
    const asset = String(req.params.asset);
    if (!ASSETS.has(asset)) return next();
    page(asset, asset.endsWith('.css') ? 'css' : 'js')(req, res);
  });

  const health = deps.insights ? insightsCustomerHealth({ db: deps.db, settings: deps.insights }) : undefined;
  router.use(createMyDayRouter({ db: deps.db, timezone: deps.timezone, health }));
  router.use(
    createConsoleApiRouter({
      db: deps.db,
      executeCommand: deps.executeCommand,
      timezone: deps.timezone,
      customerHealth: deps.customerHealth ?? health,
    }),
  );

  router.get('/api/me', async (_req, res) => {
    const viewer = viewerOf(res);
    res.set('Cache-Control', 'no-store').json({
      name: viewer.name,
      email: viewer.email ?? null,
      role: viewer.role,
      via: viewer.via,
      signInRequired: await access.signInRequired(),
    });
  });

  router.post('/api/command', express.json({ limit: '64kb' }), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { text?: unknown; user?: unknown; requestKey?: unknown };
    if (typeof body.text !== 'string' || body.text.trim() === '') {
      res
        .status(400)
        .json({ tone: 'error', text: 'Send {"text": "<command>"}, e.g. {"text": "help"}.' } satisfies Reply);
      return;
    }
    // The console has no profile: RAPPORT_TIMEZONE until the user sets their own with "timezone Europe/Berlin".
    const actor = consoleActor(viewerOf(res), body.user, deps.timezone);
    const user = actor.displayName ?? actor.platformUserId;
    const requestKey =
      req.get('idempotency-key') ?? (typeof body.requestKey === 'string' ? body.requestKey : randomUUID());
    const ctx: CommandContext = {
      actor,
      channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
      now: new Date(),
      requestKey: `console:${requestKey}`,
    };
    const reply = await deps.executeCommand(body.text, ctx);
    // Replies meant for everyone also appear in the team channel, as they would in Slack or Teams. The
    // feed lives in Redis: when it is down the asker still gets the answer (the write is committed).
    // One naming customers is recorded with them (nobody from outside reads the console, but erasing
    // one of them takes it back as Slack's and Teams' answers are).
    if (reply.visibility === 'channel')
      await connector
        .post('console:team', { ...reply, footer: reply.footer ?? `by ${user}` })
        .then(async ({ externalId }) => {
          if (reply.about?.length)
            await rememberDirectPost(
              deps.db,
              { target: 'console:team', externalId, about: reply.about },
              deps.logger,
              deps.hooks,
            );
        })
        .catch((err: Error) => {
          deps.logger?.warn({ err: err.message }, 'could not show the reply in the team channel');
          reply.footer = `${reply.footer ? `${reply.footer} · ` : ''}Not shown in the team channel: it is not reachable right now.`;
        });
    const status = replyHttpStatus(reply);
    if (status === 503) res.set('Retry-After', '30');
    res.status(status).json(reply);
  });

  router.get('/api/channel/stream', (req: Request, res: Response) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    streams.add(res);
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('snapshot', connector.feed());
    const unsubscribe = connector.subscribe((e) => send(e.type, e.entry));
    const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
    req.on('close', () => {
      streams.delete(res);
      clearInterval(ping);
      unsubscribe();
    });
  });

  /** A customer id, or a name/domain/email that matches one customer clearly. */
  const companyIdFor = async (key: string): Promise<string> => {
    if (/^[0-9a-f-]{36}$/i.test(key)) return key;
    const match = confidentMatch(await lookupCustomer(deps.db, key));
    if (!match)
      throw new RapportError(
        'not_found',
        `No single customer matches "${key}"; use "lookup" in the console to pick one.`,
      );
    return match.companyId;
  };
  const sendError = (res: Response, err: unknown) => {
    const code = err instanceof RapportError ? err.code : 'unknown';
    res.status(code === 'not_found' ? 404 : code === 'unknown' ? 500 : 400).json({ error: userMessage(err) });
  };

  router.get('/api/customers/:id/timeline', async (req: Request, res: Response) => {
    try {
      const companyId = await companyIdFor(String(req.params.id));
      const page = Math.max(1, Math.min(100_000, Math.trunc(Number(req.query.page ?? 1)) || 1));
      const card = await getCustomerCard(deps.db, companyId, {
        recordLimit: RECORDS_PER_PAGE,
        recordOffset: (page - 1) * RECORDS_PER_PAGE,
        messageLimit: 50,
        followUpLimit: 200,
        contactLimit: 500,
      });
      res.set('Cache-Control', 'no-store').json({ ...card, page, pageSize: RECORDS_PER_PAGE });
    } catch (err) {
      sendError(res, err);
    }
  });

  /**
   * The whole export of a customer (`?format=json|csv`, `?user=` for the audit log), however large:
   * how `rapport export` works while this process holds the embedded database.
   */
  router.get('/api/customers/:id/export', async (req: Request, res: Response) => {
    try {
      const format = req.query.format === 'csv' ? 'csv' : 'json';
      const companyId = await companyIdFor(String(req.params.id));
      const rep = await findOrCreateRep(deps.db.prisma, consoleActor(viewerOf(res), req.query.user, deps.timezone));
      const data = await exportCustomer(deps.db, companyId, { repId: rep.id, platform: 'console' }, new Date());
      res
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .set('Cache-Control', 'no-store');
      // ?download=1 (the console's Export buttons): saved as a file, not shown in the tab.
      if (req.query.download)
        res.attachment(
          `${
            String(data.company.name)
              .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
              .slice(0, 80) || 'customer'
          }.${format}`,
        );
      res.send(formatCustomerExport(data, format));
    } catch (err) {
      sendError(res, err);
    }
  });
  return router;
}
