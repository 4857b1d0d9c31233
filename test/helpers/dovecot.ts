import { freePort } from '../../src/net/free-port.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import type { MailboxConfig } from '../../src/config/env.ts';

/** A throwaway Dovecot IMAP server on a free loopback port with passwd-file users and maildirs. */
export interface DovecotServer {
  host: string;
  port: number;
  dir: string;
  /** Creates a user (login = address) with a random password; returns it. */
  addUser(address?: string): Promise<{ user: string; password: string }>;
  /** Maildir of a user (INBOX is its root). */
  mailDir(user: string): string;
  /** An authenticated imapflow client for delivering test mail. */
  client(user: { user: string; password: string }): Promise<ImapFlow>;
  /**
   * Ends every IMAP session of `user` (doveadm kick), as a server that drops connections does; waits up
   * to 20 s for one to kick, or until `done()` says the kick is not needed any more (what it was for
   * happened without it: a client between two connections that cannot log in again has no session).
   */
  kick(user: string, done?: () => boolean): Promise<void>;
  stop(): Promise<void>;
}

const MAIL_UID = 8; // Debian's `mail` user: Dovecot refuses to deliver mail as root.

export interface StartDovecotOptions {
  /** Advertise IDLE (default true). False hides it so clients fall back to polling. */
  idle?: boolean;
  /**
   * Also accept OAuth2 logins (XOAUTH2, OAUTHBEARER) whose token this endpoint vouches for: Dovecot's
   * oauth2 passdb POSTs `token=…` and expects `{"active": true, "username": "<login>"}` (RFC 7662).
   */
  oauthIntrospectionUrl?: string;
  /** Folders created for every user with an RFC 6154 special-use flag, e.g. `{ Outgoing: '\\Sent' }`. */
  specialUse?: Record<string, string>;
  /** Longest command line the server takes (`imap_max_line_length`, default 64 kB); RFC 2683 asks for only 8,000 bytes. */
  maxLineLength?: number;
}

/** Starts Dovecot with a generated configuration (ssl = no, plaintext auth allowed on loopback). */
export async function startDovecot(opts: StartDovecotOptions = {}): Promise<DovecotServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rapport-dovecot-'));
  await chmod(dir, 0o755);
  for (const d of ['run', 'state', 'mail', 'passwd.d']) await mkdir(join(dir, d), { mode: 0o755 });
  await chown(join(dir, 'mail'), MAIL_UID, MAIL_UID);
  const port = await freePort();
  const caps =
    opts.idle === false
      ? 'IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS CONDSTORE ESEARCH MOVE NAMESPACE UNSELECT'
      : '';
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = rapport-${randomBytes(4).toString('hex')}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.0/8
auth_mechanisms = plain login${opts.oauthIntrospectionUrl ? ' xoauth2 oauthbearer' : ''}
first_valid_uid = ${MAIL_UID}
mail_location = maildir:${dir}/mail/%u
mail_max_userip_connections = 200
${opts.maxLineLength ? `imap_max_line_length = ${opts.maxLineLength}` : ''}
log_path = ${dir}/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
# One passwd file per user: passwd-file re-reads a changed file at most once a second, so with one
# shared file a user added right after another login was refused (flaky "Command failed" on LOGIN).
# A file Dovecot has never opened is always read fresh.
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${dir}/passwd.d/%u
}
${
  opts.oauthIntrospectionUrl
    ? `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/oauth2.conf
}`
    : ''
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_UID} home=${dir}/mail/%u
}
${
  opts.specialUse
    ? `namespace inbox {
  inbox = yes
${Object.entries(opts.specialUse)
  .map(([name, flag]) => `  mailbox "${name}" {\n    auto = create\n    special_use = ${flag}\n  }`)
  .join('\n')}
}`
    : ''
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
protocol imap {
  ${caps ? `imap_capability = ${caps}` : ''}
  imap_idle_notify_interval = 2 mins
}
# IDLE latency floor: Dovecot tells an IDLE client about new mail 500 ms after the first filesystem
# notice (NOTIFY_DELAY_MSECS, a compile-time constant in src/lib-storage/mailbox-watch.c; no setting
# changes it: mailbox_idle_check_interval is the stat() fallback, imap_idle_notify_interval the
# "still here" keepalive). bench:imap measures it with an observer IDLE connection.
`;
  await writeFile(join(dir, 'dovecot.conf'), conf);
  await chmod(join(dir, 'dovecot.conf'), 0o644);
  if (opts.oauthIntrospectionUrl) {
    // Asked on every login (no cache): a revoked token is refused at once.
    const oauth = `introspection_mode = post\nintrospection_url = ${opts.oauthIntrospectionUrl}\nforce_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`;
    await writeFile(join(dir, 'oauth2.conf'), oauth);
    await chmod(join(dir, 'oauth2.conf'), 0o644);
  }
  const child: ChildProcess = spawn('/usr/sbin/dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdout?.on('data', (d) => (stderr += d));
  const started = Date.now();
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() - started > 15_000) {
      const log = await readFile(join(dir, 'dovecot.log'), 'utf8').catch(() => '');
      child.kill('SIGKILL');
      throw new Error(`Dovecot did not start: ${stderr}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = async (u: { user: string; password: string }) => {
    const c = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user: u.user, pass: u.password },
      logger: false,
      disableAutoIdle: true,
    });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  return {
    host: '127.0.0.1',
    port,
    dir,
    async addUser(address) {
      const user = address ?? `u${randomBytes(5).toString('hex')}@support.example`;
      const password = randomBytes(8).toString('hex');
      const file = join(dir, 'passwd.d', user);
      await writeFile(file, `${user}:{PLAIN}${password}::::::\n`);
      await chmod(file, 0o644);
      // Warm-up: log in and open INBOX once, so Dovecot has created the user's maildir before a test's
      // first APPEND races the sync's first SELECT.
      const c = await client({ user, password });
      await c.mailboxOpen('INBOX');
      await c.logout();
      return { user, password };
    },
    mailDir: (user) => join(dir, 'mail', user),
    client,
    async kick(user, done) {
      const kick = () =>
        new Promise<number | null>((resolve) => {
          const k = spawn('/usr/bin/doveadm', ['-c', join(dir, 'dovecot.conf'), 'kick', user], { stdio: 'ignore' });
          k.once('exit', resolve);
        });
      // 68: nobody of that user is connected right now (the sync between two connections, a loaded
      // machine slow to reconnect): kicked once its session is back, within 20 s.
      const until = Date.now() + 20_000;
      for (;;) {
        const code = await kick();
        if (code === 0 || done?.()) return;
        if (code !== 68 || Date.now() > until) throw new Error(`doveadm kick ${user} exited ${code}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The MailboxConfig of `account` on `server` as the IMAP tests sync it: INBOX, plain IMAP with the
 * password, mail of the last 30 days, IDLE refreshed every 30 s, lists skipped, 20 MB per message;
 * `overrides` changes any of it (the company policy stays the product's default unless set).
 */
export function dovecotMailbox(
  server: Pick<DovecotServer, 'host' | 'port'>,
  account: { user: string; password?: string },
  overrides: Partial<MailboxConfig> = {},
): MailboxConfig {
  return {
    address: account.user,
    host: server.host,
    port: server.port,
    secure: false,
    user: account.user,
    password: account.password,
    accessToken: undefined,
    folders: ['INBOX'],
    sinceDays: 30,
    pollSeconds: 30,
    skipLists: true,
    markSeen: false,
    maxMessageBytes: 20 * 1024 * 1024,
    ...overrides,
  };
}
