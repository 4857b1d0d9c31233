import type { Database } from '../db/database.ts';
import type { Rep } from '../db/generated/client.ts';
import type { AuditActor } from '../services/audit.service.ts';
import type { PipelineHooks } from '../services/pipeline-hooks.ts';
import type { CommandContext } from './command-context.ts';

/** What command execution needs from the process: the database and the pipeline to notify after writes. */
export interface CommandDeps {
  db: Database;
  hooks: PipelineHooks;
}

/** Everything a command handler works with: the request, its rep, and the process dependencies. */
export interface HandlerContext {
  ctx: CommandContext;
  deps: CommandDeps;
  rep: Rep;
  /** The rep and platform, as written to the audit log. */
  audit: AuditActor;
  /** IANA timezone dates are read in (the actor's). */
  timeZone: string;
}
