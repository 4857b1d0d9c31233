import { SecretBox } from '../../src/db/secret-box.ts';
import { commandRunner } from '../../src/runtime/command-runner.ts';
import type { Component } from '../../src/runtime/runtime.ts';
import type { ConnectorRuntime } from '../connector-runtime.ts';
import { createConsoleRouter } from './console.router.ts';
import { createInsightsRouter } from './insights.router.ts';
import { SharedConsoleConnector } from './shared-console.connector.ts';

/**
 * The local web console. Its "team channel" lives in Redis, so worker processes post reminders to it
 * and every web process shows them live. The page is served by processes that serve users (roles all
 * and web), so Rapport can be tried without Slack or Teams credentials; it is bound to localhost unless
 * RAPPORT_CONSOLE_TOKEN is set.
 */
export async function consoleComponent(runtime: ConnectorRuntime): Promise<Component | undefined> {
  const connector = new SharedConsoleConnector(runtime.redis, runtime.config.queuePrefix);
  runtime.registry.register(connector);
  if (runtime.config.role === 'worker') return { name: 'console-poster', stop: async () => {} };
  await connector.follow();
  const router = createConsoleRouter({
    executeCommand: commandRunner(runtime),
    db: runtime.db,
    hooks: runtime.hooks,
    consoleToken: runtime.config.consoleToken,
    toolToken: runtime.toolToken,
    signIn: runtime.config.signIn,
    admins: runtime.config.admins,
    timezone: runtime.config.timezone,
    connector,
    logger: runtime.logger.child({ module: 'console' }),
    insights: runtime.config.insights,
    // Wrong console passwords are counted in Redis, so every web process behind a load balancer sees them.
    redis: runtime.redis,
    redisPrefix: runtime.config.queuePrefix,
    // Also where this process runs no Slack connector (a console-only process): the workspaces' OAuth
    // installs in the database then give the token, opened with this process's key.
    slackUsers: {
      botToken: runtime.config.slack?.botToken,
      apiUrl: runtime.config.slack?.apiUrl,
      secrets: new SecretBox(runtime.config.secretKeys),
    },
  });
  runtime.app.use(router);
  runtime.app.use(createInsightsRouter({ db: runtime.db, settings: runtime.config.insights }));
  return {
    name: 'console',
    readiness: [{ name: 'console', check: () => connector.health() }],
    stop: async () => {
      router.closeStreams();
      await connector.stop();
    },
  };
}
