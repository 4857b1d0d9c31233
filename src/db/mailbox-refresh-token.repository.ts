import { createHash } from 'node:crypto';
import { RapportError } from '../errors.ts';
import type { Database, SqlRunner } from './database.ts';
import type { SecretBox } from './secret-box.ts';

/** Reads and writes a mailbox's stored refresh token. */
export interface RefreshTokenRow {
  /** The refresh token last issued for this mailbox and configuration, if any. */
  load(): Promise<string | undefined>;
  /** Keeps `refreshToken` as the one to send next, replacing the previous one. */
  save(refreshToken: string): Promise<void>;
}

/** Where a mailbox's rotated OAuth2 refresh token is kept between restarts (see OAuthTokenSource). */
export interface RefreshTokenStore extends RefreshTokenRow {
  /**
   * Runs `fn` (load, ask the endpoint, save, through the row it is given) while no other process does
   * it for this mailbox, so two processes (the bot and `rapport doctor`, or a bot taking over) never
   * send the same refresh token: endpoints that detect reuse refuse the second, and may revoke the
   * whole chain.
   */
  exclusive<T>(fn: (row: RefreshTokenRow) => Promise<T>): Promise<T>;
}

/** How long a token request waits for another process's to finish before giving up (it is retried). */
const EXCLUSIVE_WAIT_MS = 30_000;

/**
 * The MailboxRefreshToken row of `mailbox`, bound to its configuration: a token stored for another
 * endpoint, client or configured refresh token (the user signed in again and set a new one) is not
 * returned, and the next save replaces it. The token is sealed with `secrets` (RAPPORT_SECRET_KEY) when
 * one is set. On PostgreSQL {@link RefreshTokenStore.exclusive} holds a
 * session advisory lock per mailbox; the embedded database has one process.
 */
export function mailboxRefreshTokenStore(
  db: Pick<Database, 'kind' | 'sql' | 'withSession'>,
  mailbox: string,
  oauth: { tokenUrl: string; clientId: string; refreshToken?: string },
  opts: { waitMs?: number; secrets: SecretBox },
): RefreshTokenStore {
  const configured = createHash('sha256')
    .update(`${oauth.tokenUrl}\n${oauth.clientId}\n${oauth.refreshToken ?? ''}`)
    .digest('hex');
  const lockKey = `rapport:oauth-refresh:${mailbox.toLowerCase()}`;
  const waitMs = opts.waitMs ?? EXCLUSIVE_WAIT_MS;
  const row = (sql: SqlRunner): RefreshTokenRow => ({
    async load() {
      const rows = await sql.query<{ refreshToken: string }>(
        'SELECT "refreshToken" FROM "MailboxRefreshToken" WHERE mailbox = $1 AND configured = $2',
        [mailbox, configured],
      );
      return rows[0] ? opts.secrets.open(rows[0].refreshToken) : undefined;
    },
    async save(refreshToken) {
      await sql.query(
        `INSERT INTO "MailboxRefreshToken" (mailbox, configured, "refreshToken", "updatedAt") VALUES ($1, $2, $3, now())
         ON CONFLICT (mailbox) DO UPDATE SET configured = EXCLUDED.configured, "refreshToken" = EXCLUDED."refreshToken", "updatedAt" = EXCLUDED."updatedAt"`,
        [mailbox, configured, opts.secrets.seal(refreshToken)],
      );
    },
  });
  return {
    ...row(db.sql),
    async exclusive(fn) {
      if (db.kind === 'pglite') return fn(row(db.sql));
      // The row is read and written on the locked session: with DATABASE_POOL_SIZE=1 the pool has no
      // other connection to give.
      return db.withSession(async (session) => {
        const until = Date.now() + waitMs;
        for (;;) {
          const [got] = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
            lockKey,
          ]);
          if (got?.ok) break;
          if (Date.now() >= until)
            throw new RapportError(
              'temporary',
              `Another process has been renewing the OAuth2 token of ${mailbox} for ${Math.round(waitMs / 1000)} s; trying again.`,
            );
          await new Promise((r) => setTimeout(r, 100));
        }
        try {
          return await fn(row(session));
        } finally {
          await session.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
        }
      });
    },
  };
}

/** Rewrites every stored refresh token not sealed with the current key (`rapport secrets reseal`); returns how many. */
export async function resealRefreshTokens(sql: SqlRunner, secrets: SecretBox): Promise<number> {
  const rows = await sql.query<{ mailbox: string; refreshToken: string }>(
    'SELECT mailbox, "refreshToken" FROM "MailboxRefreshToken"',
  );
  let resealed = 0;
  for (const r of rows) {
    if (!secrets.needsReseal(r.refreshToken)) continue;
    const updated = await sql.query(
      'UPDATE "MailboxRefreshToken" SET "refreshToken" = $3 WHERE mailbox = $1 AND "refreshToken" = $2 RETURNING mailbox',
      [r.mailbox, r.refreshToken, secrets.seal(secrets.open(r.refreshToken))],
    );
    resealed += updated.length;
  }
  return resealed;
}
