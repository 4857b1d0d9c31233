import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { ConsoleSignInConfig } from '../../src/config/env.ts';
import { executeCommand } from '../../src/commands/execute-command.ts';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { createConsoleRouter } from '../../connectors/console/console.router.ts';
import { createInsightsRouter } from '../../connectors/console/insights.router.ts';
import type { ConsoleFeed } from '../../connectors/console/console-feed.ts';
import { ConsoleConnector } from '../../connectors/console/console.connector.ts';
import type { SlackUsersConfig } from '../../connectors/console/slack-sign-in-standing.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../src/insights/business-hours.ts';
import type { InsightsSettings } from '../../src/insights/insights-settings.ts';
import { SecretBox } from '../../src/db/secret-box.ts';
import { applyTrustProxy } from '../../app/trust-proxy.ts';
import { DEFAULT_TRUST_PROXY } from '../../src/config/trust-proxy.ts';

export interface ConsoleServer {
  /** http://<host>:<port> */
  base: string;
  port: number;
  server: Server;
  connector: ConsoleFeed;
  close(): Promise<void>;
}

export interface ConsoleServerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Whose forwarding headers to believe, as `RAPPORT_TRUST_PROXY`. Default: loopback. */
  trustProxy?: string | number;
  /** Port to listen on. Default: any free one. */
  port?: number;
  consoleToken?: string;
  signIn?: Partial<ConsoleSignInConfig>;
  admins?: string[];
  timezone?: string;
  /** The team channel's feed; default a new in-memory one (a pipeline harness passes its shared one). */
  connector?: ConsoleFeed;
  /** What commands trigger (card refreshes, reminders); default none (a pipeline harness passes its hooks). */
  hooks?: PipelineHooks;
  /** Customer health from the insights engine (customers list, customer page, "My day"). Default: these settings. */
  insights?: InsightsSettings;
  /** Slack Web API for Slack sign-in checks (a SlackRecorder's URL and a bot token). */
  slackUsers?: SlackUsersConfig;
  /** Redis for the password sign-in throttle's counts and its key prefix (default: counted in memory). */
  redis?: Redis;
  redisPrefix?: string;
  /** Where the console's warnings go (default: nowhere). */
  logger?: Logger;
}

/** Insights settings of the console tests: Monday–Friday business hours, a 4-hour response target. */
export const TEST_INSIGHTS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'http://127.0.0.1',
};

/** The console and insights routers on a real HTTP server, as `rapport start` mounts them (no pipeline jobs). */
export async function startConsoleServer(db: Database, opts: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const connector = opts.connector ?? new ConsoleConnector();
  const app = express();
  applyTrustProxy(app, opts.trustProxy ?? DEFAULT_TRUST_PROXY, opts.logger);
  app.use(
    createConsoleRouter({
      executeCommand: (text, ctx) => executeCommand(text, ctx, { db, hooks: opts.hooks ?? noopPipelineHooks }),
      db,
      timezone: opts.timezone ?? 'UTC',
      connector,
      consoleToken: opts.consoleToken,
      admins: opts.admins,
      insights: opts.insights ?? TEST_INSIGHTS,
      slackUsers: opts.slackUsers ?? { secrets: new SecretBox() },
      redis: opts.redis,
      redisPrefix: opts.redisPrefix,
      logger: opts.logger,
      signIn: {
        publicUrl: undefined,
        sessionSecret: undefined,
        sessionHours: 12,
        slack: undefined,
        entra: undefined,
        ...opts.signIn,
      },
    }),
  );
  app.use(createInsightsRouter({ db, settings: opts.insights ?? TEST_INSIGHTS }));
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    connector,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Headless Chromium as the console tests run it; `resolverRules` maps made-up names to local addresses. */
export function launchChromium(resolverRules?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(resolverRules ? [`--host-resolver-rules=${resolverRules}`] : []),
    ],
  });
}

/** test/artifacts/<name>: screenshots kept for CI output (git-ignored). */
export function artifactPath(name: string): string {
  const dir = join(import.meta.dirname, '..', 'artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Types `command` into the console's chat box and presses Enter; the reply it gets (once it is there). */
export async function typeInConsole(page: Page, command: string): Promise<Locator> {
  const before = await page.locator('#chat > li .reply').count();
  await page.fill('#command', command);
  await page.press('#command', 'Enter');
  const reply = page.locator('#chat > li .reply').nth(before);
  await reply.waitFor();
  return reply;
}
