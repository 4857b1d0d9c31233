import { loadConfig, ConfigError, type Config } from '../src/config/env.ts';
import { userMessage, RapportError } from '../src/errors.ts';

/** A `rapport <name>` sub-command: takes its argv (after the name) and returns the exit code. */
export type CliCommand = (argv: string[], config: () => Config) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<CliCommand> }> = {
  start: { summary: 'start the bot (HTTP server, connectors, workers for RAPPORT_ROLE)', load: async () => (await import('./commands/start.command.ts')).startCommand },
  migrate: { summary: 'apply pending database migrations and exit', load: async () => (await import('./commands/migrate.command.ts')).migrateCommand },
  doctor: { summary: 'check configuration, database, Redis and connectors; say what is wrong and how to fix it', load: async () => (await import('./commands/doctor.command.ts')).doctorCommand },
};

/** Registers more sub-commands (exec, train, evaluate, model, import, export, erase). */
export function registerCliCommand(name: string, summary: string, load: () => Promise<CliCommand>): void {
  commands[name] = { summary, load };
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return ['Usage: rapport <command> [options]', '', 'Commands:', ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`)].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  await import('./cli-commands.ts');
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = commands[name];
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
