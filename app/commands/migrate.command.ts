import { openDatabase } from '../../src/db/open-database.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';

/** `rapport migrate`: applies pending migrations (the same ones `rapport start` applies) and prints what it did. */
export const migrateCommand: CliCommand = async (_argv, getConfig) => {
  const config = getConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
  try {
    const result = await migrate(db);
    for (const name of result.applied) console.log(`applied ${name}`);
    for (const sentence of result.backfilled ?? []) console.log(sentence);
    console.log(
      result.applied.length === 0
        ? `Database is up to date (${result.alreadyApplied.length} migrations).`
        : `Applied ${result.applied.length} migration(s); ${result.alreadyApplied.length} were already applied.`,
    );
    return 0;
  } finally {
    await db.close();
  }
};
