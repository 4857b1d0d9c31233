import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DovecotServer } from './dovecot.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from './spawn-rapport.ts';

export interface MailboxBot {
  proc: SpawnedRapport;
  port: number;
}

/**
 * `rapport start` processes a test runs against one mailbox and database (restarts, takeovers): each
 * with its own port and, unless `env` names one, its own data directory; all killed and their
 * directories removed by {@link dispose}.
 */
export class MailboxBots {
  private readonly bots: MailboxBot[] = [];
  private readonly dirs: string[] = [];

  /** Starts one with `env` (plus PORT, HOST and RAPPORT_DATA_DIR) and waits for its /readyz. */
  async start(env: Record<string, string>): Promise<MailboxBot> {
    const port = await freePort();
    const dir = env.RAPPORT_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'rapport-mailbox-bot-'));
    if (!env.RAPPORT_DATA_DIR) this.dirs.push(dir);
    const proc = spawnRapport(['start'], { RAPPORT_DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', ...env });
    const bot = { proc, port };
    this.bots.push(bot);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 180_000, proc);
    return bot;
  }

  /** The last one started that has not exited. */
  running(): MailboxBot | undefined {
    return this.bots.filter((b) => b.proc.child.exitCode === null && b.proc.child.signalCode === null).at(-1);
  }

  async dispose(): Promise<void> {
    for (const b of this.bots) b.proc.child.kill('SIGKILL');
    await Promise.all(this.bots.map((b) => b.proc.exited));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** The env of a bot that syncs one Dovecot account's INBOX into `databaseUrl`, a company from every sender. */
export function imapBotEnv(
  dovecot: Pick<DovecotServer, 'host' | 'port'>,
  account: { user: string; password: string },
  databaseUrl: string,
  queuePrefix: string,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    RAPPORT_QUEUE_PREFIX: queuePrefix,
    IMAP_HOST: dovecot.host,
    IMAP_PORT: String(dovecot.port),
    IMAP_SECURE: 'false',
    IMAP_USER: account.user,
    IMAP_PASSWORD: account.password,
    IMAP_FOLDERS: 'INBOX',
    IMAP_CREATE_COMPANIES: 'all',
    LOG_LEVEL: 'info',
  };
}
