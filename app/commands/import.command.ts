import type { CliCommand } from '../../src/runtime/cli-command.ts';

/** `rapport import`: customers from CSV (`--customers FILE`), else emails from files (`--mbox` / `--eml`). */
export const importDispatchCommand: CliCommand = async (argv, config) => {
  if (argv.includes('--customers'))
    return (await import('./import-customers.command.ts')).importCustomersCommand(argv, config);
  return (await import('../../connectors/imap/import.command.ts')).importCommand(argv, config);
};
