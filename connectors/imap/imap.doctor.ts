import { SecretBox } from '../../src/db/secret-box.ts';
import { ImapFlow } from 'imapflow';
import type { DoctorCheck, DoctorResult } from '../../src/runtime/doctor-check.ts';
import type { Config, MailboxConfig } from '../../src/config/env.ts';
import { readDataDirLock } from '../../src/db/data-dir-lock.ts';
import type { Database } from '../../src/db/database.ts';
import { mailboxRefreshTokenStore } from '../../src/db/mailbox-refresh-token.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { imapAuth, OAuthTokenSource } from './oauth-token-source.ts';
import { parseImapError } from './parse-imap-error.ts';
import { resolveFolder } from './resolve-folder.ts';

/**
 * `rapport doctor` check for IMAP: logs in to every configured mailbox and opens its folders, and
 * says in words what failed ("Authentication failed for support@...: check IMAP_PASSWORD").
 * Last sync times and errors are in /readyz and the MailboxCursor table. A mailbox with a refresh token
 * logs in with the one the sync last stored (the configured one may be spent), and stores the one the
 * endpoint rotates to, so the doctor never leaves the sync holding a spent token.
 */
export const imapDoctorCheck: DoctorCheck = async (config) => {
  if (config.imap.length === 0)
    return { name: 'imap', ok: true, detail: 'no mailbox configured (IMAP_HOST / RAPPORT_MAILBOXES unset)' };
  const tokens = await openTokenDatabase(config);
  let results: DoctorResult[];
  try {
    results = await Promise.all(config.imap.map((m) => checkMailbox(m, tokens)));
  } finally {
    if (tokens && 'db' in tokens) await tokens.db.close();
  }
  const bad = results.filter((r) => !r.ok);
  return {
    name: 'imap',
    ok: bad.length === 0,
    detail: results.map((r) => r.detail).join('; '),
    fix: bad.length > 0 ? bad.map((r) => r.fix).join(' ') : undefined,
  };
};

/** Where the doctor finds the mailboxes' stored refresh tokens. */
type TokenDatabase =
  /** Opened for this check (closed after it), with the key that opens its sealed tokens. */
  | { db: Database; secrets: SecretBox }
  /** The running bot holds the embedded database: the login is left to it. */
  | { heldByPid: number }
  /** No mailbox has a refresh token, or the database cannot be opened (the database check says why): the configured token is sent. */
  | undefined;

async function openTokenDatabase(config: Config): Promise<TokenDatabase> {
  if (!config.imap.some((m) => m.oauth?.refreshToken)) return undefined;
  const running = config.databaseUrl ? undefined : readDataDirLock(config.dataDir);
  if (running) return { heldByPid: running.pid };
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false }).then(
    (db) => ({ db, secrets: new SecretBox(config.secretKeys) }),
    () => undefined,
  );
}

async function checkMailbox(m: MailboxConfig, tokens: TokenDatabase): Promise<DoctorResult> {
  if (m.oauth?.refreshToken && tokens && 'heldByPid' in tokens)
    // Its refresh token may have been rotated by the sync, in the database the bot holds: sending the
    // configured one could be refused (spent or expired) although the sync is fine.
    return {
      name: `imap:${m.address}`,
      ok: true,
      detail: `${m.address}: login left to the running bot (pid ${tokens.heldByPid}), which holds the embedded database with the mailbox's current refresh token; see mailbox sync`,
    };
  let client: ImapFlow | undefined;
  let folder: string | undefined;
  try {
    const store =
      m.oauth && tokens && 'db' in tokens
        ? mailboxRefreshTokenStore(tokens.db, m.address, m.oauth, { secrets: tokens.secrets })
        : undefined;
    const token = m.oauth ? await new OAuthTokenSource(m.oauth, m.address, { store }).accessToken() : undefined;
    client = new ImapFlow({
      host: m.host,
      port: m.port,
      secure: m.secure,
      auth: imapAuth(m, token),
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    const parts: string[] = [];
    for (const entry of m.folders) {
      folder = entry;
      const resolved = await resolveFolder(client, entry);
      if ('skip' in resolved) {
        parts.push(`${entry} not synced (${resolved.skip})`);
        continue;
      }
      folder = resolved.path;
      const st = await client.status(folder, { messages: true, uidValidity: true });
      if (!st)
        throw Object.assign(new Error(`Mailbox doesn't exist: ${folder}`), { serverResponseCode: 'NONEXISTENT' });
      parts.push(`${folder}${folder === entry ? '' : ` (${entry})`} ${st.messages ?? '?'} messages`);
    }
    return {
      name: `imap:${m.address}`,
      ok: true,
      detail: `${m.address}: login ok, ${client.capabilities.has('IDLE') ? 'IDLE' : 'polling'}, ${parts.join(', ')}`,
    };
  } catch (err) {
    const coded = parseImapError(err, m, folder);
    return { name: `imap:${m.address}`, ok: false, detail: `${m.address}: ${coded.code}`, fix: coded.message };
  } finally {
    const c = client;
    await c?.logout().catch(() => c.close());
  }
}
