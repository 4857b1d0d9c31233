import { findCompanyOfFollowUpRequest } from '../../db/follow-up.repository.ts';
import { formatInZone } from '../../domain/zoned-time.ts';
import { WHEN_EXAMPLES } from '../../domain/parse-when.ts';
import type { Logger } from '../../logger.ts';
import { createFollowUp } from '../../services/follow-ups.service.ts';
import { assigneeRefusal, findOrCreateRep } from '../../services/reps.service.ts';
import type { Actor, CommandContext } from '../command-context.ts';
import type { CommandDeps } from '../command-deps.ts';
import { followUpSection } from '../follow-up-view.ts';
import { checkFormCustomer, formHandlerContext, errorOnFieldOnFailure, type FormResult } from '../form-result.ts';
import { companyForNewName } from './log-form.handler.ts';
import type { FormCustomer } from '../form-result.ts';

/** Longest follow-up title, as `remind` allows. */
const MAX_TITLE_CHARS = 500;

/** What the new-follow-up form sends. */
export interface FollowUpFormInput {
  customer?: FormCustomer;
  /** What to follow up on. */
  title?: string;
  /** When it is due (a date-time picker gives an instant). */
  dueAt?: Date;
  /**
   * Who gets the reminder; default the person submitting. Created as a rep on first use; refused, like
   * typed `assign`, when their standing says guest or another organisation, or the platform cannot say.
   */
  assignee?: Actor;
  /** Idempotency key of the submission ("slack:view:T1/V123"): a retry returns the first follow-up. */
  requestKey: string;
}

export type FollowUpFormField = 'customer' | 'title' | 'dueAt' | 'assignee';

/**
 * Submits the new-follow-up form with the rules of `remind`: a customer, something to do (at most
 * 500 characters) and a due time in the future; each problem gets its sentence and nothing is written.
 * Then creates the follow-up through the follow-ups service (idempotent by request key).
 */
export async function submitFollowUpForm(
  input: FollowUpFormInput,
  ctx: CommandContext,
  deps: CommandDeps & { logger?: Logger },
): Promise<FormResult<FollowUpFormField>> {
  const errors: Partial<Record<FollowUpFormField, string>> = {};
  const checked = await checkFormCustomer(deps.db, input.customer);
  let company = checked.company;
  if (checked.error) errors.customer = checked.error;
  const title = input.title?.trim() ?? '';
  if (!title) errors.title = 'Say what to follow up on, e.g. "send the quote".';
  else if (title.length > MAX_TITLE_CHARS)
    errors.title = `A follow-up is at most ${MAX_TITLE_CHARS} characters (this one has ${title.length}).`;
  if (!input.dueAt || Number.isNaN(input.dueAt.getTime())) errors.dueAt = 'Pick when it is due.';
  else if (input.dueAt.getTime() <= ctx.now.getTime())
    errors.dueAt = `That time is in the past. Pick a future time (like ${WHEN_EXAMPLES}).`;
  // Typed `assign`'s check: a guest or Slack Connect member must never become a Rep (their reminders would reach them).
  const refusal = assigneeRefusal(input.assignee?.standing);
  if (refusal) errors.assignee = refusal;
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  return errorOnFieldOnFailure<FollowUpFormField>(
    'title',
    async () => {
      const h = await formHandlerContext(ctx, deps);
      if (!company) {
        const earlier = await findCompanyOfFollowUpRequest(deps.db.prisma, input.requestKey);
        const created = await companyForNewName(
          (input.customer as { newName: string }).newName,
          h,
          earlier ?? undefined,
        );
        if ('error' in created) return { ok: false, errors: { customer: created.error } };
        company = created;
      }
      const assignee = input.assignee ? await findOrCreateRep(deps.db.prisma, input.assignee) : h.rep;
      const followUp = await createFollowUp(
        deps.db,
        {
          companyId: company.id,
          title,
          dueAt: input.dueAt!,
          assigneeRepId: assignee.id,
          actor: h.audit,
          fallbackRemindTarget: ctx.channel?.target,
          requestKey: input.requestKey,
        },
        deps.hooks,
      );
      const when = formatInZone(followUp.dueAt, h.timeZone);
      const forWhom = assignee.id === h.rep.id ? 'you' : assignee.name;
      return {
        ok: true,
        reply: {
          tone: 'success',
          title: followUp.created ? `Follow-up #${followUp.number} set` : `Follow-up #${followUp.number} already set`,
          text: followUp.created
            ? `I'll remind ${forWhom} about ${company.name} on ${when}: ${followUp.title}`
            : `This form already set follow-up #${followUp.number} (${when}: ${followUp.title}); nothing new was written.`,
          sections: [followUpSection(followUp, h.timeZone, ctx.now)],
        },
      };
    },
    deps.logger,
  );
}
