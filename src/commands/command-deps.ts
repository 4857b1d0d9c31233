import type { Database } from '../db/database.ts';
import type { Rep } from '../db/generated/client.ts';
import type { AuditActor } from '../services/audit.service.ts';
import type { PipelineHooks } from '../services/pipeline-hooks.ts';
import type { CommandContext } from './command-context.ts';
import type { Audience } from '../domain/audience.ts';
import type { Role } from '../domain/roles.ts';

/** What command execution needs from the process: the database and the pipeline to notify after writes. */
export interface CommandDeps {
  db: Database;
  hooks: PipelineHooks;
  /** RAPPORT_ADMINS: emails or platform ids of admins. Default: none. */
  admins?: readonly string[];
  /**
   * Who can read a channel (the connector's last-step guard), for commands that make a channel a
   * destination of internal cards. Absent: every channel counts as `unknown` (fail closed).
   */
  audience?(target: string): Promise<Audience>;
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
  /** The actor's role (never `outsider` here: outsiders are refused before any handler runs). */
  role: Role;
}
