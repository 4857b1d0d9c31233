import { makeCustomer, pageOfUnconfirmedSenders } from '../../services/make-customer.service.ts';
import { RapportError } from '../../errors.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Command } from '../parse-command.ts';
import type { Reply } from '../reply-model.ts';
import { senderSection } from '../sender-view.ts';

/** Senders listed per page of `senders`. */
const PAGE_SIZE = 10;

/**
 * `senders [page <n>]`: who wrote to a support inbox and is nobody's customer yet (IMAP_CREATE_COMPANIES
 * =answered logs them without a company), newest first, each with a Make customer button.
 */
export async function handleSenders(cmd: Extract<Command, { kind: 'senders' }>, h: HandlerContext): Promise<Reply> {
  const page = cmd.page ?? 1;
  const { senders: shown, total } = await pageOfUnconfirmedSenders(h.deps.db, (page - 1) * PAGE_SIZE, PAGE_SIZE);
  if (total === 0)
    return {
      tone: 'info',
      text: 'Nobody is waiting: everyone whose mail was logged is a customer (or their mail was skipped as spam, bulk or automatic).',
    };
  const pages = Math.ceil(total / PAGE_SIZE);
  if (page > pages)
    throw new RapportError(
      'invalid_input',
      `There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of senders; try senders page ${pages}.`,
    );
  const from = (page - 1) * PAGE_SIZE + 1;
  return {
    tone: 'info',
    title: 'Senders not yet customers',
    text: `${total} sender(s) wrote without becoming customers, newest first${pages > 1 ? ` (${from}-${from + shown.length - 1}, page ${page} of ${pages})` : ''}. Answering one makes them a customer; so does Make customer.`,
    sections: shown.map(senderSection),
    buttons: page < pages ? [{ label: 'Next page', command: `senders page ${page + 1}` }] : undefined,
  };
}

/** `make customer <domain or email> [--name <name>]`: the senders at a domain (or one address) become a customer. */
export async function handleMakeCustomer(
  cmd: Extract<Command, { kind: 'make-customer' }>,
  h: HandlerContext,
): Promise<Reply> {
  const made = await makeCustomer(h.deps.db, cmd.key, h.audit, { name: cmd.name }).catch((err: unknown) => {
    // The service's sentence points at the CLI; in chat the list is one command away.
    if (err instanceof RapportError && err.code === 'not_found')
      throw new RapportError(
        'not_found',
        `Nobody at ${cmd.key} is waiting to become a customer: someone made them one already, or their mail was erased. Type senders for the list.`,
      );
    throw err;
  });
  h.about.add(made.companyId);
  const contacts = made.contacts === 1 ? '1 contact' : `${made.contacts} contacts`;
  const records = made.records === 1 ? '1 conversation' : `${made.records} conversations`;
  return {
    tone: 'success',
    text: `${made.created ? 'Created customer' : 'Added to customer'} ${made.name}: ${contacts} and ${records} moved to it; their new mail gets follow-up suggestions.`,
    buttons: [{ label: `Look up ${made.name}`, command: `lookup "${made.name.replace(/"/g, '')}"` }],
  };
}
