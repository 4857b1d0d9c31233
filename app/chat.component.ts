import { executeCommand } from '../src/commands/execute-command.ts';
import type { CommandContext } from '../src/commands/command-context.ts';
import type { Reply } from '../src/commands/reply-model.ts';
import { createConsoleRouter } from '../connectors/console/console.router.ts';
import type { Component, Runtime } from './runtime.ts';

/** Runs a chat command with this process's database and pipeline hooks: the one entry point every connector uses. */
export function commandRunner(runtime: Runtime): (text: string, ctx: CommandContext) => Promise<Reply> {
  const logger = runtime.logger.child({ module: 'commands' });
  return (text, ctx) => executeCommand(text, ctx, { db: runtime.db, hooks: runtime.hooks, logger });
}

/**
 * The local web console: always on in processes that serve users (roles all and web), so Rapport can
 * be tried without any Slack or Teams credentials; bound to localhost unless RAPPORT_CONSOLE_TOKEN is set.
 */
export async function consoleComponent(runtime: Runtime): Promise<Component | undefined> {
  if (runtime.config.role === 'worker') return undefined;
  const router = createConsoleRouter({
    executeCommand: commandRunner(runtime),
    db: runtime.db,
    consoleToken: runtime.config.consoleToken,
    timezone: runtime.config.timezone,
  });
  runtime.registry.register(router.connector);
  runtime.app.use(router);
  return {
    name: 'console',
    readiness: [{ name: 'console', check: () => router.connector.health() }],
    async stop() {},
  };
}
