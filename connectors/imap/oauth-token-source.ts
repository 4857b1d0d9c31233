import type { MailboxConfig, MailboxOAuthConfig } from '../../src/config/env.ts';
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

/**
 * A mailbox's OAuth2 access tokens: asks the token endpoint for one before a connection logs in and
 * again shortly before it runs out (a fixed IMAP_ACCESS_TOKEN stopped the sync within the hour).
 * Connections starting at once share one request. A refresh token the endpoint rotates is used from
 * then on (kept in memory: after a restart the configured one is sent again). A token the IMAP server
 * refuses is dropped ({@link refused}), so the next connection asks for a new one.
 */
export class OAuthTokenSource {
  private token: { value: string; renewAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private refreshToken: string | undefined;
  /** Token requests made (for /readyz and tests). */
  requests = 0;

  constructor(
    private readonly config: MailboxOAuthConfig,
    private readonly address: string,
    private readonly now: () => number = Date.now,
  ) {
    this.refreshToken = config.refreshToken;
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

  private async request(): Promise<string> {
    const c = this.config;
    const form = new URLSearchParams({ client_id: c.clientId });
    if (c.clientSecret) form.set('client_secret', c.clientSecret);
    if (c.scope) form.set('scope', c.scope);
    if (this.refreshToken) {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', this.refreshToken);
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
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '') this.refreshToken = body.refresh_token;
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
