import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { RapportError } from '../../src/errors.ts';
import { listUnconfirmedSenders, makeCustomer } from '../../src/services/make-customer.service.ts';

const USAGE =
  'Usage: rapport mail unconfirmed | rapport mail make-customer DOMAIN|ADDRESS [--name "Acme"] | rapport mail retry';

/**
 * `rapport mail …`: the support inbox's loose ends. `unconfirmed` lists senders logged without a
 * company (IMAP_CREATE_COMPANIES=answered); `make-customer` makes one a customer; `retry` logs the
 * quarantined mail again.
 */
export const mailCommand: CliCommand = async (argv, config) => {
  const [sub, ...rest] = argv;
  if (!sub || !['unconfirmed', 'make-customer', 'retry'].includes(sub)) throw new RapportError('invalid_input', USAGE);
  const c = config();
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    if (sub === 'unconfirmed') {
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
    if (sub === 'make-customer') {
      const args = [...rest];
      const nameAt = args.indexOf('--name');
      const name = nameAt >= 0 ? args.splice(nameAt, 2)[1] : undefined;
      const key = args[0];
      if (!key) throw new RapportError('invalid_input', USAGE);
      const made = await makeCustomer(db, key, { repId: 'cli', platform: 'cli' }, { name });
      console.log(
        `${made.created ? 'Created' : 'Added to'} customer ${made.name}: ${made.contacts} contact(s), ${made.records} conversation(s).`,
      );
      return 0;
    }
    const { retryQuarantinedMail } = await import('./quarantine-retry.ts');
    const result = await retryQuarantinedMail(db, c);
    console.log(
      result.tried === 0
        ? 'The quarantine is empty: every fetched message was stored.'
        : `Retried ${result.tried} quarantined message(s): ${result.logged} logged, ${result.skipped} duplicate, skipped or (naming an erased person) deleted, ${result.failed} still failing (see the log for why).`,
    );
    return result.failed > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
};
