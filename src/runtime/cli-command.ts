import type { Config } from '../config/env.ts';

/** A `rapport <name>` sub-command: takes its argv (after the name) and returns the exit code. */
export type CliCommand = (argv: string[], config: () => Config) => Promise<number>;
