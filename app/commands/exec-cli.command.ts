import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { openCliPipelineHooks } from '../cli-pipeline.ts';
import { runExecCommand } from './exec.command.ts';

/** `rapport exec [--as REP] [--json] "<command>"`. */
export const execCliCommand: CliCommand = (argv, config) => {
  const c = config();
  return runExecCommand(argv, c, process.stdout, (db) => openCliPipelineHooks(c, db));
};

/** `rapport export CUSTOMER [json|csv]`: the same as `rapport exec "export CUSTOMER ..."`, printing the full export. */
export const exportCliCommand: CliCommand = (argv, config) => {
  if (argv.length === 0 || argv[0].startsWith('-')) {
    console.error('Usage: rapport export CUSTOMER [json|csv]   e.g. rapport export "Acme Ltd" csv > acme.csv');
    return Promise.resolve(2);
  }
  return runExecCommand(['export', ...argv.map(quoteIfNeeded)], config(), process.stdout);
};

function quoteIfNeeded(word: string): string {
  return /\s/.test(word) && !/^["'].*["']$/.test(word) ? `"${word.replaceAll('"', '')}"` : word;
}
