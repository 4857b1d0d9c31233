import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Config } from '../../src/config/env.ts';
import { parseCommand } from '../../src/commands/parse-command.ts';
import { renderReplyText } from '../../src/commands/render-reply-text.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import { quoteArgument } from '../../src/domain/tokenize-command.ts';
import { readDataDirLock, type ServingHolder, servesHttp } from '../../src/db/data-dir-lock.ts';
import { askRunningRapport } from '../../src/net/running-rapport.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import type { Database } from '../../src/db/database.ts';

const USAGE = 'Usage: rapport exec [--as <rep name or email>] [--json] "<command>"   e.g. rapport exec "lookup acme"';

/**
 * `rapport exec`: runs one chat command and prints the reply (text, or the Reply as JSON with --json).
 * With the embedded database and a running Rapport, the command goes to that process's HTTP API (the
 * data dir is locked to it); otherwise the database is opened here. `export` prints the full export
 * however large. Returns the exit code: 0, 1 for an error reply, 2 for bad usage.
 */
export async function runExecCommand(
  argv: string[],
  config: Config,
  out: NodeJS.WritableStream,
  openHooks: (db: Database) => Promise<{ hooks: PipelineHooks; close(): Promise<void> }> = async () => ({
    hooks: noopPipelineHooks,
    close: async () => {},
  }),
): Promise<number> {
  let as: string | undefined;
  let json = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--as') as = argv[++i];
    else if (a.startsWith('--as=')) as = a.slice(5);
    else if (a === '--help' || a === '-h') {
      out.write(`${USAGE}\n`);
      return 0;
    } else {
      words.push(...argv.slice(i)); // everything from the first non-option word is the command
      break;
    }
  }
  // `rapport exec "log 'Acme Ltd' hi"` arrives as one word; `rapport exec log "Acme Ltd" hi` as several,
  // with the shell's quotes gone: quote multi-word arguments again so the grammar sees the same words.
  const text = (
    words.length === 1 ? words[0] : words.map((w) => (/\s/.test(w) ? quoteArgument(w) : w)).join(' ')
  ).trim();
  if (!text || (as !== undefined && !as.trim())) {
    out.write(`${USAGE}\n`);
    return 2;
  }
  const user = as?.trim() || userInfo().username || 'cli';
  const print = (reply: Reply) => {
    out.write(json ? `${JSON.stringify(reply, null, 2)}\n` : `${renderReplyText(reply)}\n`);
    return reply.tone === 'error' ? 1 : 0;
  };

  if (!config.databaseUrl) {
    const holder = readDataDirLock(config.dataDir);
    if (holder) {
      if (!servesHttp(holder)) {
        return print({
          tone: 'error',
          text: `Rapport (pid ${holder.pid}) holds the embedded database but is not serving HTTP yet; try again in a few seconds.`,
        });
      }
      // `export` prints the whole export (CSV that is CSV), not the chat-sized reply: ask the running
      // process for the file itself.
      const parsed = safeParse(text);
      if (parsed?.kind === 'export') {
        return exportViaRunningProcess(holder, parsed, user, config.consoleToken, out, print);
      }
      return print(await viaRunningProcess(holder, text, user, config.consoleToken));
    }
  }

  // The database is opened here only now: the heavy modules (Prisma, PGlite, every command handler)
  // are loaded on this path alone, so a call that goes to the running bot starts in a fraction of it.
  const { execLocally } = await import('./exec-local.ts');
  return execLocally(text, { user, json, parsed: safeParse(text) }, config, out, print, openHooks);
}

export function safeParse(text: string): ReturnType<typeof parseCommand> | undefined {
  try {
    return parseCommand(text);
  } catch {
    return undefined;
  }
}

async function exportViaRunningProcess(
  holder: ServingHolder,
  parsed: { customer: string; format: 'json' | 'csv' },
  user: string,
  token: string | undefined,
  out: NodeJS.WritableStream,
  print: (reply: Reply) => number,
): Promise<number> {
  const query = new URLSearchParams({ format: parsed.format, user });
  const path = `/api/customers/${encodeURIComponent(parsed.customer)}/export?${query}`;
  const answer = await askRunningRapport(holder, path, { token });
  if (!answer.reached || !answer.ok) return print({ tone: 'error', text: answer.error });
  out.write(answer.body);
  return 0;
}

async function viaRunningProcess(
  holder: ServingHolder,
  text: string,
  user: string,
  token: string | undefined,
): Promise<Reply> {
  const answer = await askRunningRapport(holder, '/api/command', {
    token,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ text, user }),
  });
  const reply = answer.reached ? (answer.json as Partial<Reply> | undefined) : undefined;
  return reply?.text ? (reply as Reply) : { tone: 'error', text: answer.error };
}
