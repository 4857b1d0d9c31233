import type { CliCommand } from '../src/runtime/cli-command.ts';

interface Entry {
  summary: string;
  load: () => Promise<CliCommand>;
}

/** Sub-commands by name, in registration order (the order `rapport help` lists them). */
export const cliCommands = new Map<string, Entry>();

/** Registers a sub-command; `load` imports its module only when it runs, so `rapport start` loads nothing extra. */
export function registerCliCommand(name: string, summary: string, load: () => Promise<CliCommand>): void {
  cliCommands.set(name, { summary, load });
}
