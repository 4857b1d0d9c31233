import { RapportError } from '../errors.ts';
import { confidentMatch, lookupCustomer, type CustomerMatch } from '../services/lookup-customer.service.ts';
import { quoteArgument } from '../domain/tokenize-command.ts';
import type { HandlerContext } from './command-deps.ts';
import type { Reply } from './reply-model.ts';

/** A customer was named but not identified: the reply to send instead (pick list or "not found"). */
export class CustomerNotResolved extends Error {
  constructor(readonly reply: Reply) {
    super(reply.text);
    this.name = 'CustomerNotResolved';
  }
}

/** How a match is described in pick lists: "Acme Ltd (contact: Jo Smith)". */
export function describeMatch(m: CustomerMatch): string {
  return m.matchedOn === 'name' ? m.companyName : `${m.companyName} (${m.matchedOn}: ${m.matchedText})`;
}

/**
 * Resolves a typed customer to one company, or throws {@link CustomerNotResolved} carrying a pick list
 * whose buttons rerun the command with the exact name (`commandFor(name)`), plus extra buttons. The
 * company resolved is one the reply names (`h.about`); a pick list names its candidates (`about`).
 * @param requireExact for writes: a similar name is never taken without asking.
 */
export async function resolveCustomer(
  h: HandlerContext,
  typed: string,
  opts: {
    requireExact: boolean;
    commandFor: (exactName: string) => string;
    notFound?: Reply;
    extraButtons?: Reply['buttons'];
  },
): Promise<CustomerMatch> {
  const matches = await lookupCustomer(h.deps.db, typed);
  const match = confidentMatch(matches, { requireExact: opts.requireExact });
  if (match) {
    h.about.add(match.companyId);
    return match;
  }
  if (matches.length === 0) {
    throw new CustomerNotResolved(
      opts.notFound ?? {
        tone: 'warning',
        text: `No customer matches "${typed}". Try part of the name, a contact's name, an email or a domain.`,
        buttons: opts.extraButtons,
      },
    );
  }
  throw new CustomerNotResolved({
    tone: 'info',
    title: matches.length === 1 ? 'Did you mean this customer?' : 'Which customer?',
    text: `${matches.length === 1 ? 'One customer is' : `${matches.length} customers are`} close to "${typed}":`,
    sections: matches.map((m) => ({
      text: describeMatch(m),
      buttons: [{ label: 'Pick', command: opts.commandFor(m.companyName), style: 'primary' as const }],
    })),
    buttons: opts.extraButtons,
    // The pick list names every candidate: erasing any of them takes it back.
    about: [...new Set(matches.map((m) => m.companyId))],
  });
}

/** Quotes a company name for a button command. */
export const q = quoteArgument;

/** Throws a RapportError when a service hands back nothing (used for impossible states). */
export function must<T>(value: T | undefined | null, message: string): T {
  if (value === undefined || value === null) throw new RapportError('not_found', message);
  return value;
}
