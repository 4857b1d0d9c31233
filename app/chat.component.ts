import { executeCommand } from '../src/commands/execute-command.ts';
import type { CommandContext } from '../src/commands/command-context.ts';
import type { CommandDeps } from '../src/commands/command-deps.ts';
import type { Reply } from '../src/commands/reply-model.ts';
import { createConsoleRouter } from '../connectors/console/console.router.ts';
import { SharedConsoleConnector } from '../connectors/console/shared-console.connector.ts';
import type { Component, Runtime } from './runtime.ts';

/**
 * Runs a chat command with this process's database and pipeline hooks: the one entry point every connector uses.
 * @param extra - what the connector adds, e.g. its platform's user directory (`people`) for `assign`.
 */
export function commandRunner(
  runtime: Runtime,
  extra: Pick<CommandDeps, 'people'> = {},
): (text: string, ctx: CommandContext) => Promise<Reply> {
  const logger = runtime.logger.child({ module: 'commands' });
  return (text, ctx) => executeCommand(text, ctx, { db: runtime.db, hooks: runtime.hooks, logger, ...extra });
}

/**
 * The local web console. Its "team channel" lives in Redis, so worker processes post reminders to it
 * and every web process shows them live. The page is served by processes that serve users (roles all
 * and web), so Rapport can be tried without Slack or Teams credentials; it is bound to localhost unless
 * RAPPORT_CONSOLE_TOKEN is set.
 */
export async function consoleComponent(runtime: Runtime): Promise<Component | undefined> {
  const connector = new SharedConsoleConnector(runtime.redis, runtime.config.queuePrefix);
  runtime.registry.register(connector);
  if (runtime.config.role === 'worker') return { name: 'console-poster', stop: async () => {} };
  await connector.follow();
  const router = createConsoleRouter({
    executeCommand: commandRunner(runtime),
    db: runtime.db,
    consoleToken: runtime.config.consoleToken,
    timezone: runtime.config.timezone,
    connector,
  });
  runtime.app.use(router);
  return {
    name: 'console',
    readiness: [{ name: 'console', check: () => connector.health() }],
    stop: () => connector.stop(),
  };
}
