import { RapportError } from '../../src/errors.ts';

/** Exit code for bad input or usage (a sentence was printed, no stack trace). */
export const EXIT_USAGE = 2;

/** Where CLI functions write: process.stdout in production, a collecting stream in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** Prints an error as one plain sentence and returns the exit code; unexpected errors keep their message only. */
export function reportCliError(error: unknown, err: TextSink): number {
  if (error instanceof RapportError) err.write(`${error.message}\n`);
  else if (error instanceof Error && (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    err.write(`${error.message}. Run with --help to see the options.\n`);
  else if (error instanceof Error) err.write(`${error.message.split('\n')[0]}\n`);
  else err.write('The command failed for an unknown reason.\n');
  return EXIT_USAGE;
}
