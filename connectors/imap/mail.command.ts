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
import type { Config } from '../../src/config/env.ts';
import { readDataDirLock } from '../../src/db/data-dir-lock.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { formatQuarantineListing } from './quarantine-listing.ts';
import { isUuid } from '../../src/domain/is-uuid.ts';
import type { MailCommandOutput } from './mail-command.protocol.ts';

const USAGE = [
  'Usage: rapport mail unconfirmed',
  '       rapport mail make-customer DOMAIN|ADDRESS [--name "Acme"]',
  '       rapport mail quarantine [--resolved] [--limit N]   (the mail the sync could not store, and why)',
  '       rapport mail retry [ID...]                         (log it again: all of it, or these)',
  '       rapport mail drop ID... --yes                      (delete these from the quarantine; the mail stays on the server)',
].join('\n');

const SUBCOMMANDS = ['unconfirmed', 'make-customer', 'quarantine', 'retry', 'drop'];

const TERMINAL: MailCommandOutput = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
};

/**
 * `rapport mail …`: the support inbox's loose ends. `unconfirmed` lists senders logged without a
 * company (IMAP_CREATE_COMPANIES=answered); `make-customer` makes one a customer; `quarantine` lists the
 * mail the sync kept because it could not store it; `retry` logs it again; `drop` deletes rows of it.
 * With the embedded database held by a running bot (it serves one process), the command runs in that
 * bot, through its HTTP server (see mail-command.router.ts), as `rapport exec` does.
 */
export const mailCommand: CliCommand = async (argv, config) => {
  // Arguments are checked before the database is opened (or the bot asked): a typo costs nothing.
  const checked = checkMailArguments(argv);
  if (typeof checked === 'string') return usage(TERMINAL, checked);
  const c = config();
  const holder = c.databaseUrl ? undefined : readDataDirLock(c.dataDir);
  if (holder) {
    const { mailCommandViaRunningBot } = await import('./mail-command.client.ts');
    return mailCommandViaRunningBot(holder, argv, c.consoleToken, TERMINAL);
  }
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    return await runMailCommand(argv, { db, config: c }, TERMINAL);
  } finally {
    await db.close();
  }
};

/** What a `rapport mail` run needs: the database, the configuration, and the pipeline's hooks for a retry. */
export interface MailCommandDeps {
  db: Database;
  config: Config;
  /** Tells the pipeline about mail a retry logged (the running bot's); default none (the reconciler classifies it). */
  hooks?: PipelineHooks;
}

/**
 * Runs `rapport mail` on an open database, writing to `out`; returns the exit code (2 bad usage, 1 an
 * unknown id or mail still failing). Throws a RapportError for what the user must fix.
 */
export async function runMailCommand(argv: string[], deps: MailCommandDeps, out: MailCommandOutput): Promise<number> {
  const checked = checkMailArguments(argv);
  if (typeof checked === 'string') return usage(out, checked);
  const { sub, rest, ids, listing } = checked;
  const { db } = deps;
  if (sub === 'unconfirmed') return await unconfirmed(db, out);
  if (sub === 'make-customer') return await makeCustomerCommand(db, rest, out);
  if (listing) {
    out.log(formatQuarantineListing(await listQuarantinedMail(db, listing), listing));
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
      out.log(
        `Would delete ${ids.length} quarantined mail(s) from Rapport; each stays on the mail server and is never logged unless someone forwards it again. Run again with --yes to delete.`,
      );
      return 2;
    }
    const dropped = await deleteQuarantinedMail(db.prisma, ids);
    out.log(`Deleted ${dropped} quarantined mail(s). They are still on the mail server.`);
    return 0;
  }
  const { retryQuarantinedMail } = await import('./quarantine-retry.ts');
  const result = await retryQuarantinedMail(db, deps.config, deps.hooks, ids.length > 0 ? ids : undefined);
  out.log(
    result.tried === 0
      ? ids.length > 0
        ? 'Those were logged by an earlier retry already: nothing to try.'
        : 'The quarantine is empty: every fetched message was stored.'
      : `Retried ${result.tried} quarantined message(s): ${result.logged} logged, ${result.skipped} duplicate, skipped or (naming an erased person) deleted, ${result.failed} still failing (see the log for why).`,
  );
  return result.failed > 0 ? 1 : 0;
}

/** A `rapport mail` command line understood, or what is wrong with it. */
interface MailArguments {
  sub: string;
  rest: string[];
  /** The ids `retry` or `drop` was given. */
  ids: string[];
  /** `quarantine`'s options. */
  listing?: { resolved: boolean; limit: number };
}

function checkMailArguments(argv: string[]): MailArguments | string {
  const [sub, ...rest] = argv;
  if (!sub || !SUBCOMMANDS.includes(sub)) return '';
  const ids = sub === 'retry' || sub === 'drop' ? quarantineIds(sub, rest) : [];
  if (typeof ids === 'string') return ids;
  const listing = sub === 'quarantine' ? listingOptions(rest) : undefined;
  if (typeof listing === 'string') return listing;
  return { sub, rest, ids, ...(listing ? { listing } : {}) };
}

/** Bad usage: what was wrong, the usage, exit 2. */
function usage(out: MailCommandOutput, problem?: string): number {
  out.error(problem ? `${problem}\n${USAGE}` : USAGE);
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

async function unconfirmed(db: Database, out: MailCommandOutput): Promise<number> {
  const senders = await listUnconfirmedSenders(db, 200);
  if (senders.length === 0) {
    out.log('No unconfirmed senders: every logged sender is a customer.');
    return 0;
  }
  out.log(
    `${senders.length} unconfirmed sender(s), newest first; make one a customer with: rapport mail make-customer KEY`,
  );
  for (const s of senders)
    out.log(
      `${s.key}\t${s.records} conversation(s), ${s.contacts} contact(s), last ${s.lastMessageAt.toISOString().slice(0, 10)}${s.subjects.length ? `\t"${s.subjects.join('", "')}"` : ''}`,
    );
  return 0;
}

async function makeCustomerCommand(db: Database, rest: string[], out: MailCommandOutput): Promise<number> {
  const args = [...rest];
  const nameAt = args.indexOf('--name');
  const name = nameAt >= 0 ? args.splice(nameAt, 2)[1] : undefined;
  const key = args[0];
  if (!key) return usage(out, 'Name the sender to make a customer: a domain or an address.');
  const made = await makeCustomer(db, key, { repId: 'cli', platform: 'cli' }, { name });
  out.log(
    `${made.created ? 'Created' : 'Added to'} customer ${made.name}: ${made.contacts} contact(s), ${made.records} conversation(s).`,
  );
  return 0;
}
