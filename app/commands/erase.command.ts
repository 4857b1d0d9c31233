import { countRecordsOfCompany } from '../../src/db/communication-record.repository.ts';
import { findCompanyName } from '../../src/db/company.repository.ts';
import { countContactsOfCompany } from '../../src/db/contact.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { eraseCustomerAndCards, type EraseResult } from '../../src/services/erase-customer.service.ts';
import { erasureSummary } from '../../src/commands/erasure-summary.ts';
import { openCliPipelineHooks } from '../cli-pipeline.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';
import { isUuid } from '../../src/domain/is-uuid.ts';
import { createLogger } from '../../src/logger.ts';

/**
 * `rapport erase CUSTOMER|ID|DOMAIN --yes`: erases one customer for good (GDPR), with every mention
 * of it in other customers' rows redacted. Without --yes it shows what would be erased (exit 2). A
 * name that fits several customers erases nothing, lists their ids and exits 1: run it again with
 * the id.
 */
export const eraseCommand: CliCommand = async (argv, config) => {
  const yes = argv.includes('--yes');
  const typed = argv
    .filter((a) => a !== '--yes')
    .join(' ')
    .trim();
  if (typed === '') {
    console.error(
      'Usage: rapport erase CUSTOMER|ID|DOMAIN --yes   (erases every record, message and follow-up of that customer for good)',
    );
    return 2;
  }
  const c = config();
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    let target: { id: string; name: string } | undefined;
    if (isUuid(typed)) {
      const company = await findCompanyName(db.prisma, typed);
      if (!company) {
        console.error(`No customer has the id ${typed}; "rapport exec lookup NAME" shows ids.`);
        return 1;
      }
      target = company;
    } else {
      const matches = await lookupCustomer(db, typed, { limit: 20 });
      const match = confidentMatch(matches, { requireExact: true });
      if (!match) {
        if (matches.length === 0) {
          console.error(`No customer matches "${typed}". Try a name, a domain, an email or a customer id.`);
          return 1;
        }
        console.error(`${matches.length} customers match "${typed}"; nothing was erased. Erase one by its id:`);
        for (const m of matches)
          console.error(
            `  rapport erase ${m.companyId} --yes   # ${m.companyName}${m.matchedOn === 'name' ? '' : ` (${m.matchedOn}: ${m.matchedText})`}`,
          );
        return 1;
      }
      target = { id: match.companyId, name: match.companyName };
    }
    if (!yes) {
      const [contacts, records] = await Promise.all([
        countContactsOfCompany(db.prisma, target.id),
        countRecordsOfCompany(db.prisma, target.id),
      ]);
      console.log(
        `This permanently deletes ${target.name} (${target.id}): ${contacts} contact(s), ${records} conversation(s) with their messages, follow-ups, labels and channel links, and redacts every mention of them in other customers' conversations. Only hashed keys stay so no connector imports them again.`,
      );
      console.log('Run again with --yes to erase.');
      return 2;
    }
    // The cards posted about the customer are taken back by the running workers (or, while Redis does
    // not answer, written down for their reconciler): an erasure from here left them as posted.
    const pipeline = await openCliPipelineHooks(c, db);
    let counts: EraseResult['counts'];
    try {
      // An attempt PostgreSQL aborted (a deadlock with a chat change) runs again, said on stderr.
      ({ counts } = await eraseCustomerAndCards(
        db,
        target.id,
        { repId: 'cli', platform: 'cli' },
        pipeline.hooks,
        createLogger(c.logLevel, process.stderr),
      ));
    } finally {
      await pipeline.close();
    }
    console.log(erasureSummary(target.name, counts));
    return 0;
  } finally {
    await db.close();
  }
};
