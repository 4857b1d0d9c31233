import { findCompanyName } from '../db/company.repository.ts';
import { RapportError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { outsiderRefusal, roleOf } from '../domain/roles.ts';
import { findOrCreateRep } from '../services/reps.service.ts';
import type { CommandContext } from './command-context.ts';
import type { CommandDeps, HandlerContext } from './command-deps.ts';
import type { Reply } from './reply-model.ts';
import type { Database } from '../db/database.ts';

/**
 * What submitting a form (a Slack modal, later a Teams task module) gives back: per-field sentences
 * to show next to the inputs with nothing written, or the reply to tell the user what happened.
 */
export type FormResult<Field extends string> =
  | { ok: false; errors: Partial<Record<Field, string>> }
  | { ok: true; reply: Reply };

/** A calendar date typed in a form, "YYYY-MM-DD" (what date pickers send). */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** Reads "YYYY-MM-DD"; undefined for anything else (including 2026-02-30). */
export function parseLocalDate(text: string | undefined | null): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return undefined;
  return { year, month, day };
}

/** "YYYY-MM-DD" of a date (for a date picker's initial_date). */
export function formatLocalDate(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** -1, 0 or 1 as `a` is before, the same day as, or after `b`. */
export function compareLocalDates(a: LocalDate, b: LocalDate): number {
  return Math.sign((a.year - b.year) * 10_000 + (a.month - b.month) * 100 + (a.day - b.day));
}

/**
 * The handler context a form runs with: the same rep, audit actor and timezone a typed command of
 * this actor would get (see executeCommand).
 */
export async function formHandlerContext(ctx: CommandContext, deps: CommandDeps): Promise<HandlerContext> {
  // Outsiders run nothing, forms included, and never become a Rep.
  const role = roleOf(ctx.actor, deps.admins ?? []);
  if (role === 'outsider') throw new RapportError('forbidden', outsiderRefusal(ctx.actor.standing));
  const rep = await findOrCreateRep(deps.db.prisma, ctx.actor);
  return {
    ctx,
    deps,
    rep,
    audit: { repId: rep.id, platform: ctx.actor.platform },
    timeZone: ctx.actor.timezone || rep.timezone || 'UTC',
    role,
    about: new Set(),
  };
}

/**
 * Runs a form's write. A failure after validation (the database away, a conflict) comes back as an
 * error sentence on `field`, so the form stays open with everything typed in it and can be submitted
 * again; it is never a thrown stack trace, and unexpected errors are logged.
 */
export async function errorOnFieldOnFailure<Field extends string>(
  field: Field,
  work: () => Promise<FormResult<Field>>,
  logger?: Logger,
): Promise<FormResult<Field>> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof RapportError)) logger?.error({ err }, 'form submission failed');
    const message =
      err instanceof RapportError
        ? err.message
        : 'Could not save this just now; nothing was written. Submit again in a moment.';
    return { ok: false, errors: { [field]: message } as Partial<Record<Field, string>> };
  }
}

/** A customer picked in a form: an existing one by id, or a new one to create by name. */
export type FormCustomer = { companyId: string } | { newName: string };

/**
 * The customer field's check, shared by every form: something picked, an existing customer that still
 * exists (it may have been erased since the form opened), or a non-empty new name.
 * @returns the existing company, or the sentence for the field.
 */
export async function checkFormCustomer(
  db: Database,
  customer: FormCustomer | undefined,
): Promise<{ company?: { id: string; name: string }; error?: string }> {
  if (!customer) return { error: 'Pick a customer: type part of its name, a contact, an email or a domain.' };
  if ('companyId' in customer) {
    const company = await findCompanyName(db.prisma, customer.companyId);
    return company
      ? { company }
      : { error: 'That customer no longer exists (it may have been erased). Pick another one.' };
  }
  return customer.newName.trim() ? {} : { error: 'Give the new customer a name.' };
}
