import { executeCommand } from '../commands/execute-command.ts';
import type { CommandContext } from '../commands/command-context.ts';
import type { Reply } from '../commands/reply-model.ts';
import type { Runtime } from './runtime.ts';

/** Runs a chat command with this process's database and pipeline hooks: the one entry point every connector uses. */
export function commandRunner(runtime: Runtime): (text: string, ctx: CommandContext) => Promise<Reply> {
  const logger = runtime.logger.child({ module: 'commands' });
  return (text, ctx) => executeCommand(text, ctx, { db: runtime.db, hooks: runtime.hooks, logger });
}
