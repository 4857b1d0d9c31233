/** The path `rapport mail` posts to when a running bot holds the embedded database. */
export const MAIL_COMMAND_PATH = '/api/mail-command';

/** What the running bot answers: the lines the command wrote, and its exit code. */
export interface MailCommandAnswer {
  stdout: string[];
  stderr: string[];
  exit: number;
}

/** Where a `rapport mail` run writes: the terminal, or the running bot's answer. */
export interface MailCommandOutput {
  log(line: string): void;
  error(line: string): void;
}
