import { randomUUID } from 'node:crypto';
import type { Config } from '../../src/config/env.ts';
import type { CommandContext } from '../../src/commands/command-context.ts';
import { executeCommand } from '../../src/commands/execute-command.ts';
import type { parseCommand } from '../../src/commands/parse-command.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { exportCustomer, formatCustomerExport } from '../../src/services/export-customer.service.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';

/**
 * `rapport exec` when no running bot holds the database: opens it here and runs the command in this
 * process (`export` prints the full export, not the chat-sized reply). Loaded by exec.command.ts only
 * on this path. Returns the exit code.
 */
export async function execLocally(
  text: string,
  opts: { user: string; json: boolean; parsed: ReturnType<typeof parseCommand> | undefined },
  config: Config,
  out: NodeJS.WritableStream,
  print: (reply: Reply) => number,
  openHooks: (db: Database) => Promise<{ hooks: PipelineHooks; close(): Promise<void> }>,
): Promise<number> {
  const { user, json, parsed } = opts;
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const ctx: CommandContext = {
      actor: {
        platform: 'console',
        platformUserId: user,
        displayName: user,
        email: user.includes('@') ? user : undefined,
        timezone: config.timezone,
        timezoneIsDefault: true,
      },
      now: new Date(),
      requestKey: `cli:${randomUUID()}`,
    };
    if (parsed?.kind === 'export') {
      // The CLI is where large exports go: print everything, not the chat-sized summary.
      const match = confidentMatch(await lookupCustomer(db, parsed.customer));
      if (match) {
        const rep = await findOrCreateRep(db.prisma, ctx.actor);
        const data = await exportCustomer(db, match.companyId, { repId: rep.id, platform: 'console' }, ctx.now);
        out.write(formatCustomerExport(data, json ? 'json' : parsed.format));
        return 0;
      }
    }
    const pipeline = await openHooks(db);
    try {
      return print(await executeCommand(text, ctx, { db, hooks: pipeline.hooks }));
    } finally {
      await pipeline.close();
    }
  } finally {
    await db.close();
  }
}
