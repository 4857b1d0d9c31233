import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { runExecCommand } from './exec.command.ts';

/** `rapport exec [--as REP] [--json] "<command>"`. */
export const execCliCommand: CliCommand = (argv, config) => {
  const c = config();
  // BullMQ and ioredis load only when the command runs here (not when the running bot answers it).
  return runExecCommand(argv, c, process.stdout, async (db) =>
    (await import('../cli-pipeline.ts')).openCliPipelineHooks(c, db),
  );
};

/** `rapport export CUSTOMER [json|csv]`: the same as `rapport exec "export CUSTOMER ..."`, printing the full export. */
export const exportCliCommand: CliCommand = (argv, config) => {
  if (argv.length === 0 || argv[0].startsWith('-')) {
    console.error('Usage: rapport export CUSTOMER [json|csv]   e.g. rapport export "Acme Ltd" csv > acme.csv');
    return Promise.resolve(2);
  }
  // Multi-word names are quoted again by runExecCommand; quoting them here too put quote marks into the name.
  return runExecCommand(['export', ...argv], config(), process.stdout);
};

/** `rapport tombstone remove NAME|EMAIL|DOMAIN`: the same as `rapport exec "tombstone remove ..."` (works while the bot runs). */
export const tombstoneCliCommand: CliCommand = (argv, config) => {
  if (argv[0] !== 'remove' || argv.length < 2) {
    console.error('Usage: rapport tombstone remove "<erased company name, email or domain>"');
    return Promise.resolve(2);
  }
  return runExecCommand(['tombstone', 'remove', argv.slice(1).join(' ')], config(), process.stdout);
};
