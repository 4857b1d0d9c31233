import { ConfigError, loadConfig, type Config } from '../src/config/env.ts';
import { RapportError, userMessage } from '../src/errors.ts';
import { cliCommands } from './cli-registry.ts';
import './cli-commands.ts';

export type { CliCommand } from '../src/runtime/cli-command.ts';

function usage(): string {
  const width = Math.max(...[...cliCommands.keys()].map((n) => n.length));
  return [
    'Usage: rapport <command> [options]',
    '',
    'Commands:',
    ...[...cliCommands].map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Runs `rapport <argv>`; returns the exit code (2 usage, 78 configuration, 1 failure). Never prints a stack trace. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = cliCommands.get(name);
  if (!entry) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  let cached: Config | undefined;
  const config = () => (cached ??= loadConfig());
  try {
    return await (await entry.load())(rest, config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 78; // EX_CONFIG
    }
    console.error(err instanceof RapportError ? err.message : `${userMessage(err)}\n(${(err as Error).message})`);
    return 1;
  }
}

process.exitCode = await runCli(process.argv.slice(2));
