import type { Logger } from '../logger.ts';
import { RapportError, userMessage } from '../errors.ts';
import { isDatabaseUnavailableError } from '../db/sql-errors.ts';
import { trackPipelineDelays } from '../services/resilient-pipeline-hooks.ts';
import { findOrCreateRep } from '../services/reps.service.ts';
import type { CommandContext } from './command-context.ts';
import type { CommandDeps, HandlerContext } from './command-deps.ts';
import { parseCommand, type Command, type USAGE } from './parse-command.ts';
import type { Reply } from './reply-model.ts';
import { CustomerNotResolved } from './resolve-customer.ts';
import { handleLog } from './handlers/log.handler.ts';
import { handleLookup } from './handlers/lookup.handler.ts';
import { handleFollowUpChange, handleFollowUps, handleRemind } from './handlers/follow-ups.handler.ts';
import {
  handleExport,
  handleForget,
  handleLabel,
  handleLink,
  handleUnlink,
} from './handlers/customer-admin.handler.ts';
import { handleNotify } from './handlers/team-channel.handler.ts';
import { adminRefusal, outsiderRefusal, roleOf } from '../domain/roles.ts';

/** Commands only an admin runs, with what the refusal says they do. Link/unlink check ownership in their handlers. */
const ADMIN_ONLY: Partial<Record<Command['kind'], string>> = {
  forget: 'erase a customer (forget)',
  tombstone: 'let an erased customer be recorded again (tombstone remove)',
};
import { helpReply, unknownCommandReply } from './handlers/help.handler.ts';
import { handleReview } from './handlers/review.handler.ts';
import { handleTimezone } from './handlers/timezone.handler.ts';
import { handleTombstone } from './handlers/tombstone.handler.ts';
import { handleInsights } from './handlers/insights.handler.ts';
import { handleMakeCustomer, handleSenders } from './handlers/senders.handler.ts';
import { commandLogFields, errorLogFields } from './command-log-fields.ts';

export type { CommandDeps } from './command-deps.ts';

/**
 * Runs one chat command (the same grammar in Slack, Teams, the console and `rapport exec`) as the
 * context's actor and returns the reply model. Never throws: every failure becomes a `tone: 'error'`
 * reply with a sentence that says what to do next; unexpected errors are logged when `logger` is given.
 */
export async function executeCommand(
  text: string,
  ctx: CommandContext,
  deps: CommandDeps & { logger?: Logger },
): Promise<Reply> {
  const { result: reply, delayed } = await trackPipelineDelays(() => runCommand(text, ctx, deps));
  // The write committed but the job queue did not take the follow-on work: still a success (the
  // reconciler catches up), said honestly so nobody types the command again.
  if (delayed && reply.tone !== 'error')
    return { ...reply, text: `${reply.text} ${PIPELINE_DELAYED_SENTENCE}`, tone: reply.tone ?? 'success' };
  return reply;
}

/** The answer when the database cannot be reached (a retry with the same request key still writes once). */
export const DATABASE_UNAVAILABLE_SENTENCE =
  'Rapport cannot reach its database right now, so this was probably not saved. Try again in a minute; tell your Rapport admin if it keeps happening.';

/** Appended to a reply whose write committed while the job queue (Redis) could not be reached. */
export const PIPELINE_DELAYED_SENTENCE =
  'Saved; classification and reminders are delayed (the job queue is not answering) and catch up on their own, so there is no need to send this again.';

async function runCommand(text: string, ctx: CommandContext, deps: CommandDeps & { logger?: Logger }): Promise<Reply> {
  const about = new Set<string>();
  return aboutCustomers(await answerCommand(text, ctx, deps, about), about);
}

/**
 * The reply with the customers it names (`Reply.about`): what the handler named (HandlerContext.about),
 * an error sentence naming the customer it failed on included, and the reply's own (a pick list's).
 */
function aboutCustomers(reply: Reply, named: ReadonlySet<string>): Reply {
  const about = [...new Set([...(reply.about ?? []), ...named])];
  return about.length > 0 ? { ...reply, about } : reply;
}

async function answerCommand(
  text: string,
  ctx: CommandContext,
  deps: CommandDeps & { logger?: Logger },
  about: Set<string>,
): Promise<Reply> {
  try {
    // Before anything else (help, parsing errors, becoming a Rep): outsiders run nothing.
    const role = roleOf(ctx.actor, deps.admins ?? []);
    if (role === 'outsider') return { tone: 'error', text: outsiderRefusal(ctx.actor.standing) };
    const cmd = parseCommand(text);
    if (cmd.kind === 'help') return helpReply(cmd.topic);
    if (cmd.kind === 'unknown') return { ...unknownCommandReply(cmd), errorCode: 'invalid_input' };
    if (ADMIN_ONLY[cmd.kind] && role !== 'admin')
      throw new RapportError('forbidden', adminRefusal(ADMIN_ONLY[cmd.kind]!));
    const rep = await findOrCreateRep(deps.db.prisma, ctx.actor);
    const h: HandlerContext = {
      ctx,
      deps,
      rep,
      audit: { repId: rep.id, platform: ctx.actor.platform },
      timeZone: (ctx.actor.timezoneIsDefault ? rep.timezone : ctx.actor.timezone || rep.timezone) || 'UTC',
      role,
      about,
    };
    switch (cmd.kind) {
      case 'log':
        return await handleLog(cmd, h);
      case 'lookup':
        return await handleLookup(cmd, h);
      case 'followups':
        return await handleFollowUps(cmd, h);
      case 'remind':
        return await handleRemind(cmd, h);
      case 'done':
      case 'dismiss':
      case 'accept':
      case 'snooze':
      case 'due':
      case 'assign':
        return await handleFollowUpChange(cmd, h);
      case 'label':
        return await handleLabel(cmd, h);
      case 'review':
        return await handleReview(cmd, h);
      case 'link':
        return await handleLink(cmd, h);
      case 'notify':
        return await handleNotify(cmd, h);
      case 'unlink':
        return await handleUnlink(cmd, h);
      case 'forget':
        return await handleForget(cmd, h);
      case 'export':
        return await handleExport(cmd, h);
      case 'timezone':
        return await handleTimezone(cmd, h);
      case 'tombstone':
        return await handleTombstone(cmd, h);
      case 'insights':
        return await handleInsights(cmd, h);
      case 'senders':
        return await handleSenders(cmd, h);
      case 'make-customer':
        return await handleMakeCustomer(cmd, h);
    }
  } catch (err) {
    if (err instanceof CustomerNotResolved) return err.reply;
    if (isDatabaseUnavailableError(err)) {
      deps.logger?.warn({ err: (err as Error).message, command: commandLogFields(text) }, 'database unavailable');
      return { tone: 'error', errorCode: 'unavailable', text: DATABASE_UNAVAILABLE_SENTENCE };
    }
    if (!(err instanceof RapportError))
      // Under `error`, not `err`: pino's err serializer would print this plain object's class ("Object") as its type.
      deps.logger?.error({ error: errorLogFields(err), command: commandLogFields(text) }, 'command failed');
    const command = err instanceof RapportError ? (err.details.command as keyof typeof USAGE | undefined) : undefined;
    return {
      tone: 'error',
      errorCode: err instanceof RapportError ? err.code : 'unknown',
      text: userMessage(err),
      buttons: command ? [{ label: `help ${command}`, command: `help ${command}` }] : undefined,
    };
  }
}
