import { createHash } from 'node:crypto';
import type { SqlRunner } from './database.ts';

/** Where a mailbox's rotated OAuth2 refresh token is kept between restarts (see OAuthTokenSource). */
export interface RefreshTokenStore {
  /** The refresh token last issued for this mailbox and configuration, if any. */
  load(): Promise<string | undefined>;
  /** Keeps `refreshToken` as the one to send next, replacing the previous one. */
  save(refreshToken: string): Promise<void>;
}

/**
 * The MailboxRefreshToken row of `mailbox`, bound to its configuration: a token stored for another
 * endpoint, client or configured refresh token (the user signed in again and set a new one) is not
 * returned, and the next save replaces it.
 */
export function mailboxRefreshTokenStore(
  sql: SqlRunner,
  mailbox: string,
  oauth: { tokenUrl: string; clientId: string; refreshToken?: string },
): RefreshTokenStore {
  const configured = createHash('sha256')
    .update(`${oauth.tokenUrl}\n${oauth.clientId}\n${oauth.refreshToken ?? ''}`)
    .digest('hex');
  return {
    async load() {
      const rows = await sql.query<{ refreshToken: string }>(
        'SELECT "refreshToken" FROM "MailboxRefreshToken" WHERE mailbox = $1 AND configured = $2',
        [mailbox, configured],
      );
      return rows[0]?.refreshToken;
    },
    async save(refreshToken) {
      await sql.query(
        `INSERT INTO "MailboxRefreshToken" (mailbox, configured, "refreshToken", "updatedAt") VALUES ($1, $2, $3, now())
         ON CONFLICT (mailbox) DO UPDATE SET configured = EXCLUDED.configured, "refreshToken" = EXCLUDED."refreshToken", "updatedAt" = EXCLUDED."updatedAt"`,
        [mailbox, configured, refreshToken],
      );
    },
  };
}
