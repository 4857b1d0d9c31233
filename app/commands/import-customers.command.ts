import { readFileSync } from 'node:fs';
import { readDataDirLock, servesHttp } from '../../src/db/data-dir-lock.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { userMessage } from '../../src/errors.ts';
import { askRunningRapport } from '../../src/net/running-rapport.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { type ImportSummary, importCustomersCsv } from '../../src/services/import-customers.service.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';

const USAGE = 'Usage: rapport import --customers FILE.csv [--dry-run] [--json]';

/** The summary as lines a person reads: the counts, then every bad row with its line and reason. */
export function formatImportSummary(s: ImportSummary): string {
  const verb = s.dryRun ? 'would be' : 'were';
  const lines = [
    `Read as ${s.layout}: ${Object.entries(s.mapping)
      .map(([field, column]) => `${field} <- "${column}"`)
      .join(', ')}`,
    `${s.rows} rows: ${s.companiesCreated} new companies and ${s.contactsCreated} new contacts ${verb} created, ${s.updated} ${verb} updated, ${s.unchanged} unchanged, ${s.errors} with problems.`,
  ];
  for (const r of s.results) if (r.outcome === 'error') lines.push(`  line ${r.line}: ${r.error}`);
  if (s.dryRun) lines.push('Dry run: nothing was changed. Run it again without --dry-run to import.');
  return `${lines.join('\n')}\n`;
}

/**
 * `rapport import --customers FILE [--dry-run] [--json]`: companies and contacts from a CSV export. With
 * the embedded database held by a running Rapport, the file goes to that process (as `rapport exec`
 * does). Exit 0 when every row was imported, 1 when some rows have problems (the others are imported),
 * 2 for bad usage.
 */
export const importCustomersCommand: CliCommand = async (argv, config) => {
  const at = argv.indexOf('--customers');
  const path = argv[at + 1];
  const dryRun = argv.includes('--dry-run');
  const json = argv.includes('--json');
  if (at < 0 || !path || path.startsWith('--')) {
    console.error(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    console.error(`Could not read ${path}: ${(err as Error).message}`);
    return 1;
  }
  if (!text.trim()) {
    console.error(`${path} is empty: there is nothing to import.`);
    return 1;
  }
  const c = config();
  const print = (s: ImportSummary) => {
    process.stdout.write(json ? `${JSON.stringify(s, null, 2)}\n` : formatImportSummary(s));
    return s.errors > 0 ? 1 : 0;
  };
  const holder = c.databaseUrl ? undefined : readDataDirLock(c.dataDir);
  if (holder && servesHttp(holder)) {
    const answer = await askRunningRapport(holder, `/api/import/customers?dryRun=${dryRun ? 1 : 0}`, {
      token: c.consoleToken,
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: text,
    });
    if (!answer.reached || !answer.ok) {
      console.error(answer.error);
      return 1;
    }
    return print(answer.json as ImportSummary);
  }
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    const rep = await findOrCreateRep(db.prisma, {
      platform: 'console',
      platformUserId: 'cli',
      displayName: 'cli',
      timezone: c.timezone,
      timezoneIsDefault: true,
    });
    return print(await importCustomersCsv(db, text, { dryRun, actor: { repId: rep.id, platform: 'cli' } }));
  } catch (err) {
    console.error(userMessage(err));
    return 1;
  } finally {
    await db.close();
  }
};
