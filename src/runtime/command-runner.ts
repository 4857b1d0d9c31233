import { executeCommand } from '../commands/execute-command.ts';
import type { CommandContext } from '../commands/command-context.ts';
import type { Reply } from '../commands/reply-model.ts';
import type { Audience } from '../domain/audience.ts';
import type { Runtime } from './runtime.ts';

/** What commands need of the connector registry: the last-step guard's answer for a target. */
interface AudienceSource {
  forTarget(target: string): { audience(target: string): Promise<Audience> };
}

/**
 * Runs a chat command with this process's database and pipeline hooks: the one entry point every connector uses.
 * A connector's user directory comes with each request's context (`ctx.people`).
 */
export function commandRunner(runtime: Runtime): (text: string, ctx: CommandContext) => Promise<Reply> {
  const logger = runtime.logger.child({ module: 'commands' });
  return (text, ctx) =>
    executeCommand(text, ctx, {
      db: runtime.db,
      hooks: runtime.hooks,
      logger,
      admins: runtime.config.admins,
      insights: { ...runtime.config.insights },
      businessHours: runtime.config.insights.businessHours,
      audience: (target) => audienceOf(runtime.registry, target),
    });
}

/**
 * Who can read `target`, through whichever connector owns it; `unknown` when none does or it fails
 * (fail closed). The registry is typed `unknown` here (it lives in connectors/, which src/ never imports).
 */
export async function audienceOf(registry: unknown, target: string): Promise<Audience> {
  try {
    return await (registry as AudienceSource).forTarget(target).audience(target);
  } catch {
    return 'unknown';
  }
}
