import { askRunningRapport } from '../../src/net/running-rapport.ts';
import { type DataDirLockInfo, servesHttp } from '../../src/db/data-dir-lock.ts';
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
  if (!servesHttp(holder)) {
    out.error(
      `Another Rapport process (pid ${holder.pid}) is using the embedded database and serves no HTTP: a bot still starting, or a command such as "rapport import". Try again when it is up or done.`,
    );
    return 1;
  }
  const answer = await askRunningRapport(holder, MAIL_COMMAND_PATH, {
    token,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ argv }),
  });
  const said = answer.reached ? (answer.json as Partial<MailCommandAnswer> | undefined) : undefined;
  if (!answer.reached || answer.status !== 200 || !Array.isArray(said?.stdout) || !Array.isArray(said.stderr)) {
    out.error(
      answer.reached && answer.status === 404
        ? `The running Rapport (pid ${holder.pid}) holds the embedded database but does not take "rapport mail" (an older version, or a worker process). Stop it to run this command, or set DATABASE_URL to PostgreSQL.`
        : answer.error,
    );
    return 1;
  }
  for (const line of said.stdout) out.log(line);
  for (const line of said.stderr) out.error(line);
  return typeof said.exit === 'number' ? said.exit : 1;
}
