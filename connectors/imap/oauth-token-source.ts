import type { MailboxConfig, MailboxOAuthConfig } from '../../src/config/env.ts';
import type { RefreshTokenRow, RefreshTokenStore } from '../../src/db/mailbox-refresh-token.repository.ts';
import { RapportError } from '../../src/errors.ts';

/** How long a token request may take before the connect fails (and is retried with backoff). */
const REQUEST_TIMEOUT_MS = 15_000;
/** A token is renewed this long before it runs out (at most half its lifetime before). */
const RENEW_BEFORE_MS = 5 * 60_000;

interface TokenResponse {
  access_token?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

export interface OAuthTokenSourceOptions {
  /** The clock (tests move it). Default Date.now. */
  now?: () => number;
  /**
   * Where a rotated refresh token is kept (the database). Read before every token request, so a token
   * another process (`rapport doctor`, the previous run) rotated is the one sent; written as soon as the
   * endpoint sends a new one. Without it the rotated token lives in memory only.
   */
  store?: RefreshTokenStore;
  /** Told when the store cannot be read or written (the token request goes on; a write is tried again). */
  onStoreError?: (err: Error) => void;
}

/**
 * A mailbox's OAuth2 access tokens: asks the token endpoint for one before a connection logs in and
 * again shortly before it runs out (a fixed IMAP_ACCESS_TOKEN stopped the sync within the hour).
 * Connections starting at once share one request. A refresh token the endpoint rotates is used from
 * then on and kept in the {@link OAuthTokenSourceOptions.store} (Microsoft's expire 90 days after they
 * were issued: the configured one sent again after a restart would have stopped the mailbox). A token
 * the IMAP server refuses is dropped ({@link refused}), so the next connection asks for a new one.
 */
export class OAuthTokenSource {
  private token: { value: string; renewAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private refreshToken: string | undefined;
  /** A rotated refresh token the store has not taken yet (written again before the next request). */
  private unsaved: string | undefined;
  private readonly now: () => number;
  /** Token requests made (for /readyz and tests). */
  requests = 0;

  constructor(
    private readonly config: MailboxOAuthConfig,
    private readonly address: string,
    private readonly opts: OAuthTokenSourceOptions = {},
  ) {
    this.refreshToken = config.refreshToken;
    this.now = opts.now ?? Date.now;
  }

  /** A valid access token: the one held, or a new one from the endpoint. */
  async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return this.token.value;
    this.pending ??= this.request().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The IMAP server refused `value`: forget it, so the next connection asks for a new one. */
  refused(value: string): void {
    if (this.token?.value === value) this.token = undefined;
  }

  /** The refresh token to send: the stored one (another process may have rotated it), else the one held. */
  private async currentRefreshToken(store: RefreshTokenRow | undefined): Promise<string | undefined> {
    if (!store) return this.refreshToken;
    try {
      if (this.unsaved) {
        await store.save(this.unsaved);
        this.unsaved = undefined;
      }
      this.refreshToken = (await store.load()) ?? this.refreshToken;
    } catch (err) {
      this.opts.onStoreError?.(err as Error);
    }
    return this.refreshToken;
  }

  /** Keeps the refresh token the endpoint just issued: in memory at once, and in the store. */
  private async keepRefreshToken(value: string, store: RefreshTokenRow | undefined): Promise<void> {
    this.refreshToken = value;
    if (!store) return;
    try {
      await store.save(value);
      this.unsaved = undefined;
    } catch (err) {
      this.unsaved = value;
      this.opts.onStoreError?.(err as Error);
    }
  }

  /**
   * Asks the endpoint for a token. With a refresh token and a store, no other process asks for this
   * mailbox at the same time (both would send the same refresh token; one is refused where the
   * endpoint detects reuse).
   */
  private request(): Promise<string> {
    const store = this.opts.store;
    return this.config.refreshToken && store ? store.exclusive((row) => this.requestNow(row)) : this.requestNow();
  }

  /** One token request; `row` is the stored refresh token's (absent without a refresh token or a store). */
  private async requestNow(row?: RefreshTokenRow): Promise<string> {
    const c = this.config;
    const refreshToken = await this.currentRefreshToken(row);
    const form = new URLSearchParams({ client_id: c.clientId });
    if (c.clientSecret) form.set('client_secret', c.clientSecret);
    if (c.scope) form.set('scope', c.scope);
    if (refreshToken) {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', refreshToken);
    } else form.set('grant_type', 'client_credentials');
    const grant = form.get('grant_type');
    const started = this.now();
    this.requests++;
    let res: Response;
    try {
      res = await fetch(c.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new RapportError(
        'unavailable',
        `Cannot reach the OAuth2 token endpoint ${c.tokenUrl} for ${this.address} (${cause}): check IMAP_OAUTH_TOKEN_URL and the network; retrying.`,
      );
    }
    const text = await res.text();
    let body: TokenResponse = {};
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      // Not JSON (a proxy's error page): said below with the status.
    }
    if (!res.ok || typeof body.access_token !== 'string' || body.access_token === '') {
      const why =
        typeof body.error === 'string'
          ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description.split('\n')[0]}` : ''}`
          : `HTTP ${res.status}${res.ok ? ', no access_token in the answer' : ''}`;
      const fix =
        body.error === 'invalid_grant' && grant === 'refresh_token'
          ? 'the refresh token was revoked or expired: sign in again to get a new one and set IMAP_OAUTH_REFRESH_TOKEN'
          : body.error === 'invalid_client' || body.error === 'unauthorized_client'
            ? 'check IMAP_OAUTH_CLIENT_ID and IMAP_OAUTH_CLIENT_SECRET'
            : body.error === 'invalid_scope'
              ? 'check IMAP_OAUTH_SCOPE'
              : 'check the IMAP_OAUTH_* settings';
      throw new RapportError(
        res.status >= 500 || res.status === 429 ? 'temporary' : 'auth',
        `The OAuth2 token endpoint refused a token for ${this.address} (${grant} grant, ${why}): ${fix}.`,
        { status: res.status },
      );
    }
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '' && body.refresh_token !== refreshToken)
      await this.keepRefreshToken(body.refresh_token, row);
    // Some endpoints send expires_in as a string ("3599"); without it, an hour.
    const seconds = Number(body.expires_in);
    const lifetimeMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3_600_000;
    this.token = {
      value: body.access_token,
      renewAt: started + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 2),
    };
    return body.access_token;
  }
}

/** How a connection of mailbox `m` logs in: with `token` (from its OAuthTokenSource), else its fixed access token or its password. */
export function imapAuth(
  m: Pick<MailboxConfig, 'user' | 'password' | 'accessToken'>,
  token?: string,
): { user: string; accessToken: string } | { user: string; pass: string | undefined } {
  const accessToken = token ?? m.accessToken;
  return accessToken ? { user: m.user, accessToken } : { user: m.user, pass: m.password };
}
