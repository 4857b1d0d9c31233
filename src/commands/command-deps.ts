import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { Rep } from '../db/generated/client.ts';
import type { AuditActor } from '../services/audit.service.ts';
import type { PipelineHooks } from '../services/pipeline-hooks.ts';
import type { CommandContext } from './command-context.ts';
import type { Audience } from '../domain/audience.ts';
import type { Role } from '../domain/roles.ts';
import type { InsightsSettings } from '../insights/insights-settings.ts';
import type { BusinessHours } from '../domain/business-hours.ts';

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
  /**
   * The team's hours (RAPPORT_BUSINESS_HOURS / RAPPORT_BUSINESS_DAYS, Config.insights.businessHours):
   * every due date a rep sets (typed commands, the log and follow-up forms, Slack's New follow-up)
   * reads a day without a time as their opening time and "eod" as their close on a working day.
   * Default 09:00-17:00 Monday to Friday.
   */
  businessHours?: BusinessHours;
  /** Response target, business hours and console URL for `insights` (Config.insights). Default: 4 h, Mon-Fri 09-17 UTC, localhost:3000. */
  insights?: InsightsSettings;
  /** Where a handler reports what the rep is not told (an erasure run again after a deadlock). Default: nowhere. */
  logger?: Logger;
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
  /**
   * The customers (company ids) the reply names so far: resolveCustomer adds the one it resolves, a
   * handler adds the others it shows (listed follow-ups' customers, a customer it creates).
   * executeCommand hands them on as the reply's `about`, whether the command succeeded or failed.
   */
  about: Set<string>;
}
