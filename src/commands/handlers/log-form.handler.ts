import { findCompanyOfRecord } from '../../db/communication-record.repository.ts';
import { chatKindFor } from '../../domain/channel-kind.ts';
import type { ChannelKind } from '../../db/generated/enums.ts';
import { openingTime } from '../../domain/business-hours.ts';
import { dueOnDay } from '../../domain/follow-up.ts';
import { instantToWallClock, zonedWallClockToInstant } from '../../domain/zoned-time.ts';
import { RapportError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { createCustomer } from '../../services/create-customer.service.ts';
import {
  logCommunication,
  MAX_LOG_TEXT_CHARS,
  type LogCommunicationInput,
} from '../../services/log-communication.service.ts';
import { confidentMatch, lookupCustomer } from '../../services/lookup-customer.service.ts';
import type { CommandContext } from '../command-context.ts';
import type { CommandDeps, HandlerContext } from '../command-deps.ts';
import {
  checkFormCustomer,
  compareLocalDates,
  formHandlerContext,
  parseLocalDate,
  errorOnFieldOnFailure,
  type FormCustomer,
  type FormResult,
  type LocalDate,
} from '../form-result.ts';
import { loggedReply } from './log.handler.ts';

/** How a conversation happened, as the log form offers it (the same words as `log --via`). */
export const LOG_FORM_KINDS = ['call', 'meeting', 'email', 'chat', 'note'] as const;
export type LogFormKind = (typeof LOG_FORM_KINDS)[number];

/** The grammar's reading of each word; "chat" is stored as the chat tool the form was sent from (chatKindFor). */
const KIND_TO_CHANNEL: Record<Exclude<LogFormKind, 'chat'>, ChannelKind> = {
  call: 'call',
  meeting: 'meeting',
  email: 'email',
  note: 'note',
};

export type { FormCustomer } from '../form-result.ts';

/** What the log form sends. Dates are calendar days in the rep's timezone ("YYYY-MM-DD"). */
export interface LogFormInput {
  customer?: FormCustomer;
  /** Default `note`. */
  kind?: LogFormKind;
  /** When it happened; default today. Today means now; an earlier day means the team's opening time that day (09:00 by default), like `--at yesterday`. */
  date?: string;
  notes?: string;
  /** Optional follow-up day: due at the team's opening time (09:00 by default), or in an hour when that is already past today. */
  followUpDate?: string;
  /**
   * Idempotency key of the record ("slack:view:T1/V123", "slack:message:T1/C2/1700000000.000100"):
   * a retried submission, or the same message logged again, returns the first record.
   */
  sourceKey: string;
  /** The platform message logged (src/domain/platform-message-key.ts): the same message auto-logged is the same record. */
  messageExternalId?: string;
  /** That message's own author and platform data (see LogCommunicationInput.author); default: the rep's note. */
  author?: LogCommunicationInput['author'];
}

export type LogFormField = 'customer' | 'kind' | 'date' | 'notes' | 'followUpDate';

/**
 * Submits the log form: validates every field first (a missing customer, empty notes, a future
 * conversation date, a follow-up day in the past each get their sentence and nothing is written),
 * then logs through the same service as the typed `log` and answers with the same reply.
 */
export async function submitLogForm(
  input: LogFormInput,
  ctx: CommandContext,
  deps: CommandDeps & { logger?: Logger },
): Promise<FormResult<LogFormField>> {
  const timeZone = ctx.actor.timezone || 'UTC';
  const today = instantToWallClock(ctx.now, timeZone);
  const errors: Partial<Record<LogFormField, string>> = {};

  const checked = await checkFormCustomer(deps.db, input.customer);
  let company = checked.company;
  if (checked.error) errors.customer = checked.error;

  const notes = input.notes?.trim() ?? '';
  if (!notes) errors.notes = 'Write what happened; the notes are what gets classified and followed up.';
  else if (notes.length > MAX_LOG_TEXT_CHARS)
    errors.notes = `The notes are ${notes.length} characters; the limit is ${MAX_LOG_TEXT_CHARS}. Shorten them or log two records.`;

  const kind = input.kind ?? 'note';
  if (!LOG_FORM_KINDS.includes(kind)) errors.kind = `Pick one of ${LOG_FORM_KINDS.join(', ')}.`;

  let day: LocalDate | undefined = today;
  if (input.date) {
    day = parseLocalDate(input.date);
    if (!day) errors.date = `"${input.date}" is not a date.`;
    else if (compareLocalDates(day, today) > 0)
      errors.date = 'That day has not happened yet. Log a conversation on or after the day it took place.';
  }

  let followUpDay: LocalDate | undefined;
  if (input.followUpDate) {
    followUpDay = parseLocalDate(input.followUpDate);
    if (!followUpDay) errors.followUpDate = `"${input.followUpDate}" is not a date.`;
    else if (compareLocalDates(followUpDay, today) < 0)
      errors.followUpDate = 'That day is in the past. Pick today or a later day, or leave it empty.';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  return errorOnFieldOnFailure<LogFormField>(
    'notes',
    async () => {
      const h = await formHandlerContext(ctx, deps);
      if (!company) {
        // A retried submission must not create the customer twice: the record it logged names it.
        const earlier = await findCompanyOfRecord(deps.db.prisma, input.sourceKey);
        const created = await companyForNewName(
          (input.customer as { newName: string }).newName,
          h,
          earlier ?? undefined,
        );
        if ('error' in created) return { ok: false, errors: { customer: created.error } };
        company = created;
      }
      const sameDay = compareLocalDates(day!, today) === 0;
      const occurredAt = sameDay
        ? ctx.now
        : zonedWallClockToInstant({ ...day!, ...openingTime(deps.businessHours) }, timeZone);
      const followUpAt = followUpDay ? dueOnDay(followUpDay, ctx.now, timeZone, deps.businessHours) : undefined;
      const result = await logCommunication(
        deps.db,
        {
          companyId: company.id,
          text: notes,
          channelKind: kind === 'chat' ? chatKindFor(ctx.actor.platform) : KIND_TO_CHANNEL[kind],
          occurredAt,
          sourceKey: input.sourceKey,
          messageExternalId: input.messageExternalId,
          author: input.author,
          repId: h.rep.id,
          repName: h.rep.name,
          actor: h.audit,
          followUpAt,
          fallbackRemindTarget: ctx.channel?.target,
        },
        deps.hooks,
      );
      return { ok: true, reply: loggedReply(result, company.name, h.timeZone) };
    },
    deps.logger,
  );
}

/**
 * The customer a form's "create <name>" option stands for: the one a retried submission already used,
 * else an existing customer of exactly that name (never a duplicate), else a new one.
 * @returns the sentence to show next to the customer field when the name is unusable or erased.
 */
export async function companyForNewName(
  typed: string,
  h: HandlerContext,
  earlier?: { id: string; name: string },
): Promise<{ id: string; name: string } | { error: string }> {
  if (earlier) return earlier;
  const name = typed.trim();
  const match = confidentMatch(await lookupCustomer(h.deps.db, name, { exactOnly: true }), { requireExact: true });
  if (match) return { id: match.companyId, name: match.companyName };
  try {
    return await createCustomer(h.deps.db.prisma, name, h.audit);
  } catch (err) {
    if (err instanceof RapportError && (err.code === 'erased' || err.code === 'invalid_input'))
      return { error: err.message };
    throw err;
  }
}
