import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../../src/logger.ts';

const requestLogger = new AsyncLocalStorage<Logger>();
let installed = false;

/**
 * Runs one /api/messages request with the Bot Framework SDK's console output sent to `logger`.
 * botbuilder and botframework-connector `console.error` every refused token with its stack (an expired
 * token prints two) before answering 401: on a public endpoint anyone could fill stderr that way,
 * around the structured log. Inside the request those lines become one debug entry each, with the
 * message and no stack; console calls from anywhere else are untouched.
 */
export function withSdkConsoleIn<T>(logger: Logger, run: () => Promise<T>): Promise<T> {
  install();
  return requestLogger.run(logger, run);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const level of ['error', 'warn'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      const logger = requestLogger.getStore();
      if (!logger) return original.apply(console, args);
      const said = args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' ');
      logger.debug(
        { sdk: 'botbuilder', said: said.split('\n', 1)[0].slice(0, 500) },
        'Bot Framework SDK console output',
      );
    };
  }
}
