import { RapportError } from '../../src/errors.ts';
import type { MailboxConfig } from '../../src/config/env.ts';

/**
 * Maps an imapflow / socket error to a coded RapportError whose message says what to do:
 * `auth` (wrong password or token), `not_found` (folder missing), `unavailable` (server unreachable,
 * TLS mismatch), `temporary` (connection dropped, timeouts) or `unknown`.
 */
export function parseImapError(
  err: unknown,
  mailbox: Pick<MailboxConfig, 'address' | 'host' | 'port' | 'secure' | 'accessToken' | 'oauth'>,
  folder?: string,
): RapportError {
  if (err instanceof RapportError) return err;
  const e = (err ?? {}) as {
    message?: string;
    code?: string;
    authenticationFailed?: boolean;
    responseText?: string;
    serverResponseCode?: string;
  };
  const text = `${e.responseText ?? ''} ${e.message ?? ''}`.trim();
  const where = `${mailbox.host}:${mailbox.port}`;
  if (
    e.authenticationFailed ||
    e.serverResponseCode === 'AUTHENTICATIONFAILED' ||
    /authenticat|invalid credentials|login failed/i.test(text)
  ) {
    const check = mailbox.oauth
      ? 'IMAP_USER and that the app may read this mailbox over IMAP (Microsoft 365: the IMAP.AccessAsApp permission and a mailbox permission for its service principal; Gmail: the https://mail.google.com/ scope); the server refused the token from IMAP_OAUTH_TOKEN_URL (a new one is asked for at the next try)'
      : mailbox.accessToken
        ? 'IMAP_ACCESS_TOKEN (it may have expired; set IMAP_OAUTH_TOKEN_URL and the other IMAP_OAUTH_* settings to have tokens renewed)'
        : 'IMAP_USER and IMAP_PASSWORD';
    return new RapportError('auth', `Authentication failed for ${mailbox.address}: check ${check}.`, { server: text });
  }
  if (
    e.serverResponseCode === 'NONEXISTENT' ||
    /doesn't exist|does not exist|unknown mailbox|no such mailbox/i.test(text)
  ) {
    return new RapportError(
      'not_found',
      `Folder "${folder ?? '?'}" does not exist in ${mailbox.address}: check IMAP_FOLDERS.`,
      { server: text },
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(e.code ?? '')) {
    return new RapportError(
      'unavailable',
      `Cannot reach the IMAP server ${where} for ${mailbox.address} (${e.code}): check IMAP_HOST and IMAP_PORT and that the server is up.`,
    );
  }
  if (/wrong version number|ssl|tls|certificate/i.test(text)) {
    return new RapportError(
      'unavailable',
      `TLS failed with ${where} for ${mailbox.address}: set IMAP_SECURE=${mailbox.secure ? 'false (the port speaks plain IMAP/STARTTLS)' : 'true (the port expects TLS)'} or check the certificate (${text}).`,
    );
  }
  if (
    ['ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'NoConnection', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT'].includes(
      e.code ?? '',
    ) ||
    /timeout|closed|connection/i.test(text)
  ) {
    return new RapportError(
      'temporary',
      `The connection to ${where} for ${mailbox.address} dropped (${e.code ?? text}); retrying.`,
    );
  }
  return new RapportError(
    'unknown',
    `IMAP error for ${mailbox.address}${folder ? ` folder ${folder}` : ''}: ${text || String(err)}.`,
  );
}
