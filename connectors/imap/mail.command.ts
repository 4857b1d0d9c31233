import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { RapportError } from '../../src/errors.ts';
import { listUnconfirmedSenders, makeCustomer } from '../../src/services/make-customer.service.ts';
import {
  deleteQuarantinedMail,
  existingQuarantinedMail,
  listQuarantinedMail,
} from '../../src/db/mail-quarantine.repository.ts';
import type { Database } from '../../src/db/database.ts';
import { formatQuarantineListing } from './quarantine-listing.ts';
import { isUuid } from '../../src/domain/is-uuid.ts';

const USAGE = [
  'Usage: rapport mail unconfirmed',
  '       rapport mail make-customer DOMAIN|ADDRESS [--name "Acme"]',
  '       rapport mail quarantine [--resolved] [--limit N]   (the mail the sync could not store, and why)',
  '       rapport mail retry [ID...]                         (log it again: all of it, or these)',
  '       rapport mail drop ID... --yes                      (delete these from the quarantine; the mail stays on the server)',
].join('\n');

const SUBCOMMANDS = ['unconfirmed', 'make-customer', 'quarantine', 'retry', 'drop'];

/**
 * `rapport mail …`: the support inbox's loose ends. `unconfirmed` lists senders logged without a
 * company (IMAP_CREATE_COMPANIES=answered); `make-customer` makes one a customer; `quarantine` lists the
 * mail the sync kept because it could not store it; `retry` logs it again; `drop` deletes rows of it.
 */
export const mailCommand: CliCommand = async (argv, config) => {
  const [sub, ...rest] = argv;
  if (!sub || !SUBCOMMANDS.includes(sub)) return usage();
  // Arguments are checked before the database is opened: a typo costs nothing.
  const ids = sub === 'retry' || sub === 'drop' ? quarantineIds(sub, rest) : [];
  if (typeof ids === 'string') return usage(ids);
  const listing = sub === 'quarantine' ? listingOptions(rest) : undefined;
  if (typeof listing === 'string') return usage(listing);
  const c = config();
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    if (sub === 'unconfirmed') return await unconfirmed(db);
    if (sub === 'make-customer') return await makeCustomerCommand(db, rest);
    if (listing) {
      console.log(formatQuarantineListing(await listQuarantinedMail(db, listing), listing));
      return 0;
    }
    if (ids.length > 0) {
      const known = await existingQuarantinedMail(db, ids);
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0)
        throw new RapportError(
          'not_found',
          `No quarantined mail has the id ${unknown.join(', ')}; "rapport mail quarantine --resolved" lists them. Nothing was ${sub === 'drop' ? 'dropped' : 'retried'}.`,
        );
    }
    if (sub === 'drop') {
      if (!rest.includes('--yes')) {
        console.log(
          `Would delete ${ids.length} quarantined mail(s) from Rapport; each stays on the mail server and is never logged unless someone forwards it again. Run again with --yes to delete.`,
        );
        return 2;
      }
      const dropped = await deleteQuarantinedMail(db.prisma, ids);
      console.log(`Deleted ${dropped} quarantined mail(s). They are still on the mail server.`);
      return 0;
    }
    const { retryQuarantinedMail } = await import('./quarantine-retry.ts');
    const result = await retryQuarantinedMail(db, c, undefined, ids.length > 0 ? ids : undefined);
    console.log(
      result.tried === 0
        ? ids.length > 0
          ? 'Those were logged by an earlier retry already: nothing to try.'
          : 'The quarantine is empty: every fetched message was stored.'
        : `Retried ${result.tried} quarantined message(s): ${result.logged} logged, ${result.skipped} duplicate, skipped or (naming an erased person) deleted, ${result.failed} still failing (see the log for why).`,
    );
    return result.failed > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
};

/** Bad usage: what was wrong, the usage, exit 2. */
function usage(problem?: string): number {
  console.error(problem ? `${problem}\n${USAGE}` : USAGE);
  return 2;
}

/** The ids `retry` (none: all) or `drop` (at least one) was given, or what is wrong with them. */
function quarantineIds(sub: string, rest: string[]): string[] | string {
  const ids = rest.filter((a) => a !== '--yes');
  const bad = ids.find((a) => !isUuid(a));
  if (bad !== undefined)
    return `"${bad}" is not a quarantined mail's id (a UUID; "rapport mail quarantine" lists them).`;
  if (sub === 'drop' && ids.length === 0) return 'Name the quarantined mail to drop by its id.';
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

/** `quarantine`'s options, or what is wrong with them. */
function listingOptions(rest: string[]): { resolved: boolean; limit: number } | string {
  const resolved = rest.includes('--resolved');
  const limitAt = rest.indexOf('--limit');
  const limit = limitAt >= 0 ? Number(rest[limitAt + 1]) : 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return '--limit takes a whole number from 1 to 10000.';
  const known = new Set(['--resolved', '--limit', ...(limitAt >= 0 ? [rest[limitAt + 1]] : [])]);
  const stray = rest.find((a) => !known.has(a));
  if (stray !== undefined) return `Unknown argument "${stray}".`;
  return { resolved, limit };
}

async function unconfirmed(db: Database): Promise<number> {
  const senders = await listUnconfirmedSenders(db, 200);
  if (senders.length === 0) {
    console.log('No unconfirmed senders: every logged sender is a customer.');
    return 0;
  }
  console.log(
    `${senders.length} unconfirmed sender(s), newest first; make one a customer with: rapport mail make-customer KEY`,
  );
  for (const s of senders)
    console.log(
      `${s.key}\t${s.records} conversation(s), ${s.contacts} contact(s), last ${s.lastMessageAt.toISOString().slice(0, 10)}${s.subjects.length ? `\t"${s.subjects.join('", "')}"` : ''}`,
    );
  return 0;
}

async function makeCustomerCommand(db: Database, rest: string[]): Promise<number> {
  const args = [...rest];
  const nameAt = args.indexOf('--name');
  const name = nameAt >= 0 ? args.splice(nameAt, 2)[1] : undefined;
  const key = args[0];
  if (!key) return usage('Name the sender to make a customer: a domain or an address.');
  const made = await makeCustomer(db, key, { repId: 'cli', platform: 'cli' }, { name });
  console.log(
    `${made.created ? 'Created' : 'Added to'} customer ${made.name}: ${made.contacts} contact(s), ${made.records} conversation(s).`,
  );
  return 0;
}
