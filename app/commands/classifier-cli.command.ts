import type { Config } from '../../src/config/env.ts';
import type { ModelStore } from '../../src/classifier/model-store.ts';
import type { Database } from '../../src/db/database.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';

/** Runs `fn` with the database's model store when `needed`, so file-only train/evaluate runs touch no database. */
async function withStore(
  config: Config,
  needed: boolean,
  fn: (store: ModelStore | undefined, db?: Database) => Promise<number>,
): Promise<number> {
  if (!needed) return fn(undefined);
  // Loaded only when needed: the Prisma client and the database drivers are ~90 MB of a file-only
  // `rapport train --out` run's peak RSS, and a second of its start.
  const { openDatabase } = await import('../../src/db/open-database.ts');
  const { PrismaModelStore } = await import('../../src/db/prisma-model-store.ts');
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await fn(new PrismaModelStore(db), db);
  } finally {
    await db.close();
  }
}

/** `rapport train`: to a file with --out; to the database (the workers pick it up) without --out or with --activate. */
export const trainCliCommand: CliCommand = (argv, config) =>
  withStore(
    config(),
    !argv.includes('--help') &&
      (argv.includes('--activate') || !argv.some((a) => a === '--out' || a.startsWith('--out='))),
    async (store) => (await import('./train.command.ts')).runTrainCommand(argv, process.stdout, process.stderr, store),
  );

/** `rapport evaluate`: a model file needs no database; a VERSION or the active model does. */
export const evaluateCliCommand: CliCommand = (argv, config) => {
  const i = argv.findIndex((a) => a === '--model' || a.startsWith('--model='));
  const model = i < 0 ? undefined : argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  return withStore(config(), !model?.endsWith('.json'), async (store) =>
    (await import('./evaluate.command.ts')).runEvaluateCommand(argv, process.stdout, process.stderr, store),
  );
};

/** `rapport model list | activate VERSION | show VERSION | retrain [--dry-run] | label list|add`. */
export const modelCliCommand: CliCommand = (argv, config) =>
  withStore(config(), true, async (store, db) =>
    (await import('./model.command.ts')).runModelCommand(argv, store!, process.stdout, process.stderr, db),
  );
