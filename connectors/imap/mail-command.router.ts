import express, { type Request, type Response } from 'express';
import type { Config } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import { RapportError, userMessage } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { MAIL_COMMAND_PATH, type MailCommandAnswer } from './mail-command.protocol.ts';
import { runMailCommand } from './mail.command.ts';

export interface MailCommandRouterDeps {
  db: Database;
  config: Config;
  /** Read at each use: the pipeline sets them after the components are built. */
  hooks(): PipelineHooks;
  logger: Logger;
}

/**
 * `POST /api/mail-command` `{ argv }`: runs `rapport mail <argv>` in this process, for the CLI while this
 * process holds the embedded database (it serves one process). Behind the console's access check (the
 * path is in its list); only the operator's own tools (loopback without a browser's headers, the console
 * token) may use it, and nobody when that check did not run (no console in this process): the quarantine
 * holds raw mail.
 */
export function createMailCommandRouter(deps: MailCommandRouterDeps): express.Router {
  const router = express.Router();
  router.post(MAIL_COMMAND_PATH, express.json({ limit: '64kb' }), async (req: Request, res: Response) => {
    // The operator's own tools (loopback without a browser's headers, or the console token), never a
    // browser session, an admin's included: the console has no page for this, only the CLI posts here.
    const viewer = res.locals.viewer as { role?: string; tool?: boolean } | undefined;
    if (viewer?.role !== 'admin' || viewer.tool !== true) {
      res.status(403).json({
        error:
          '"rapport mail" runs in the running Rapport for the operator\'s own tools only (this machine, or RAPPORT_CONSOLE_TOKEN).',
      });
      return;
    }
    const argv = (req.body as { argv?: unknown } | undefined)?.argv;
    if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === 'string') || argv.length > 1_000) {
      res.status(400).json({ error: 'Send { "argv": [...] }: the words after "rapport mail".' });
      return;
    }
    const answer: MailCommandAnswer = { stdout: [], stderr: [], exit: 0 };
    const out = { log: (line: string) => answer.stdout.push(line), error: (line: string) => answer.stderr.push(line) };
    try {
      answer.exit = await runMailCommand(argv, { db: deps.db, config: deps.config, hooks: deps.hooks() }, out);
    } catch (err) {
      // As the CLI prints it (app/cli.ts): a sentence, never a stack trace.
      if (!(err instanceof RapportError)) deps.logger.error({ err, argv }, '"rapport mail" failed in the running bot');
      out.error(err instanceof RapportError ? err.message : userMessage(err));
      answer.exit = 1;
    }
    res.set('Cache-Control', 'no-store').json(answer);
  });
  return router;
}
