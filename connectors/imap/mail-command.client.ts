import { localRequest } from '../../src/net/local-http.ts';
import type { DataDirLockInfo } from '../../src/db/data-dir-lock.ts';
import { MAIL_COMMAND_PATH, type MailCommandAnswer, type MailCommandOutput } from './mail-command.protocol.ts';

/**
 * `rapport mail <argv>` run by the bot that holds the embedded database (its URL from the data-dir lock):
 * prints what it wrote and returns its exit code; 1 with a sentence when it cannot be asked.
 */
export async function mailCommandViaRunningBot(
  holder: DataDirLockInfo,
  argv: string[],
  token: string | undefined,
  out: MailCommandOutput,
): Promise<number> {
  if (!holder.url) {
    out.error(
      `Another Rapport process (pid ${holder.pid}) is using the embedded database and serves no HTTP: a bot still starting, or a command such as "rapport import". Try again when it is up or done.`,
    );
    return 1;
  }
  let status: number;
  let body: string;
  try {
    ({ status, body } = await localRequest(new URL(MAIL_COMMAND_PATH, holder.url), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ argv }),
    }));
  } catch (err) {
    out.error(`Could not reach the running Rapport at ${holder.url} (${(err as Error).message}). Is it still running?`);
    return 1;
  }
  const answer = parse(body);
  if (status !== 200 || !Array.isArray(answer?.stdout) || !Array.isArray(answer.stderr)) {
    const said = answer?.error;
    out.error(
      status === 404
        ? `The running Rapport (pid ${holder.pid}) holds the embedded database but does not take "rapport mail" (an older version, or a worker process). Stop it to run this command, or set DATABASE_URL to PostgreSQL.`
        : (said ?? `The running Rapport answered HTTP ${status}.`),
    );
    return 1;
  }
  for (const line of answer.stdout) out.log(line);
  for (const line of answer.stderr) out.error(line);
  return typeof answer.exit === 'number' ? answer.exit : 1;
}

function parse(body: string): Partial<MailCommandAnswer & { error: string }> | undefined {
  try {
    return JSON.parse(body) as Partial<MailCommandAnswer & { error: string }>;
  } catch {
    return undefined;
  }
}
