import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { startDovecot, type DovecotServer, type StartDovecotOptions } from './dovecot.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from './spawn-rapport.ts';
import { createScratchPostgres } from './test-database.ts';

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

/** The mailbox of a {@link mailboxBotsFixture}: its Dovecot login, and the name of its /readyz line. */
export const BOTS_MAILBOX = 'support@support.example';

/** What {@link mailboxBotsFixture} gives a test file; read it inside the tests. */
export interface MailboxBotsFixture {
  readonly dovecot: DovecotServer;
  /** The Dovecot account of {@link BOTS_MAILBOX}. */
  readonly account: { user: string; password: string };
  /** The scratch PostgreSQL database the bots sync into. */
  readonly databaseUrl: string;
  /** The bots' RAPPORT_QUEUE_PREFIX: their mailbox lock is `${prefix}:imap-lock:${BOTS_MAILBOX}`. */
  readonly prefix: string;
  readonly bots: MailboxBots;
  /** The test's own connection to the scratch database: migrated before the tests, or see {@link openDb}. */
  readonly db: Database;
  /** With `migrate: false`: opens {@link db} without migrating, once a bot has migrated the database. */
  openDb(): Promise<Database>;
  /** Appends `mails` to the account's INBOX (one IMAP session, logged out after). */
  deliver(...mails: Array<string | Buffer>): Promise<void>;
  /** Starts a bot that syncs the account's INBOX into the database ({@link imapBotEnv}), `env` on top. */
  start(env?: Record<string, string>): Promise<MailboxBot>;
  /** The mailbox's line on `bot`'s /readyz. */
  readyLine(bot: MailboxBot): Promise<string>;
}

/**
 * A Dovecot with the account {@link BOTS_MAILBOX} (`dovecot` gives its options, read when it starts), a
 * scratch PostgreSQL database and the `rapport start` bots a fault test runs against them: set up before
 * the file's tests; after them the bots are killed, the database dropped and Dovecot stopped. The test's
 * connection `db` is opened and migrated before the tests, or with `migrate: false` not opened: the first
 * bot migrates the database and the test opens it by `openDb()` after.
 */
export function mailboxBotsFixture(
  opts: { migrate?: boolean; dovecot?: () => StartDovecotOptions } = {},
): MailboxBotsFixture {
  const bots = new MailboxBots();
  const prefix = `{rapport-test-${randomBytes(4).toString('hex')}}`;
  let dovecot: DovecotServer | undefined;
  let account: { user: string; password: string } | undefined;
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>> | undefined;
  let db: Database | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`mailboxBotsFixture: ${what} is not there (read it inside a test)`);
    return value;
  };
  beforeAll(async () => {
    dovecot = await startDovecot(opts.dovecot?.());
    account = await dovecot.addUser(BOTS_MAILBOX);
    scratch = await createScratchPostgres();
    if (opts.migrate !== false) db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await bots.dispose();
    await db?.close();
    await scratch?.drop();
    await dovecot?.stop();
  });
  const fixture: MailboxBotsFixture = {
    get dovecot() {
      return ready(dovecot, 'Dovecot');
    },
    get account() {
      return ready(account, 'the account');
    },
    get databaseUrl() {
      return ready(scratch, 'the database').url;
    },
    prefix,
    bots,
    get db() {
      return ready(db, opts.migrate === false ? 'db before openDb()' : 'the database');
    },
    async openDb() {
      db ??= await openDatabase({ databaseUrl: fixture.databaseUrl, migrate: false });
      return db;
    },
    async deliver(...mails) {
      const client = await fixture.dovecot.client(fixture.account);
      for (const m of mails) await client.append('INBOX', m);
      await client.logout();
    },
    start: (env = {}) =>
      bots.start({ ...imapBotEnv(fixture.dovecot, fixture.account, fixture.databaseUrl, prefix), ...env }),
    async readyLine(bot) {
      const body = (await (await fetch(`http://127.0.0.1:${bot.port}/readyz`)).json()) as {
        checks: Record<string, { detail: string }>;
      };
      return body.checks[`imap:${BOTS_MAILBOX}`]?.detail ?? '(no mailbox line)';
    },
  };
  return fixture;
}
