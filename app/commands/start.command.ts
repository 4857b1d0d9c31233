import { createLogger } from '../../src/logger.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { startProcess } from '../start-process.ts';

/** `rapport start`: runs until SIGTERM/SIGINT, then shuts down in order and exits 0. */
export const startCommand: CliCommand = async (_argv, getConfig) => {
  const config = getConfig();
  const logger = createLogger(config.logLevel);
  const running = await startProcess(config, logger);
  await new Promise<void>((resolve) => {
    // `on`, not `once`: a signal to the process group reaches this process twice (directly, and
    // forwarded by npm), and Ctrl-C may be pressed again; a repeat must not kill the drain half-way.
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.info({ signal }, 'already shutting down');
        return;
      }
      stopping = true;
      running.shutdown(signal).then((inTime) => {
        process.exitCode = inTime ? 0 : 1;
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onSignal);
  });
  // Anything still holding the event loop (a stuck socket) must not keep a stopped bot alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  return Number(process.exitCode ?? 0);
};
