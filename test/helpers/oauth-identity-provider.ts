import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface IssuedToken {
  user: string;
  expiresAt: number;
  revoked: boolean;
}

/** A token endpoint (refresh_token and client_credentials grants) with introspection, recording what it was asked. */
export class IdentityProvider {
  server!: Server;
  url = '';
  readonly tokens = new Map<string, IssuedToken>();
  readonly requests: URLSearchParams[] = [];
  /** Each introspection answer (was the token good?). */
  readonly logins: boolean[] = [];
  /** Access tokens last an hour, as Microsoft's and Google's do; the renewal test shortens them. */
  lifetimeSeconds = 3600;
  /**
   * Refresh tokens it accepts; each use rotates it (the answer carries the next one) and spends the old
   * one, as endpoints with reuse detection do (Microsoft keeps old ones until they expire, 90 days
   * after they were issued: then the same refusal).
   */
  readonly refreshTokens = new Set<string>();
  clients = new Map<string, string>([['rapport-app', 's3cret']]);
  /** How long the token endpoint takes to answer, ms (requests of two processes then overlap). */
  delayMs = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', async () => {
        const form = new URLSearchParams(body);
        if (this.delayMs > 0 && req.url !== '/introspect') await new Promise((r) => setTimeout(r, this.delayMs));
        res.setHeader('content-type', 'application/json');
        if (req.url === '/introspect') {
          const t = this.tokens.get(form.get('token') ?? '');
          const active = t !== undefined && !t.revoked && Date.now() < t.expiresAt;
          this.logins.push(active);
          res.end(JSON.stringify(active ? { active: true, username: t.user } : { active: false }));
          return;
        }
        this.requests.push(form);
        const fail = (status: number, error: string, description: string) => {
          res.statusCode = status;
          res.end(JSON.stringify({ error, error_description: description }));
        };
        if (this.clients.get(form.get('client_id') ?? '') !== form.get('client_secret'))
          return fail(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
        let next: string | undefined;
        if (form.get('grant_type') === 'refresh_token') {
          const rt = form.get('refresh_token') ?? '';
          if (!this.refreshTokens.delete(rt)) return fail(400, 'invalid_grant', 'Token has been expired or revoked.');
          next = `rt-${randomBytes(4).toString('hex')}`;
          this.refreshTokens.add(next);
        } else if (form.get('grant_type') !== 'client_credentials' || !form.get('scope'))
          return fail(400, 'invalid_request', 'AADSTS90014: The required field scope is missing.');
        const token = `at-${randomBytes(8).toString('hex')}`;
        this.tokens.set(token, {
          user: 'support@support.example',
          expiresAt: Date.now() + this.lifetimeSeconds * 1000,
          revoked: false,
        });
        res.end(
          JSON.stringify({
            token_type: 'Bearer',
            access_token: token,
            // Microsoft's v1 endpoint sends it as a string.
            expires_in: String(this.lifetimeSeconds),
            ...(next ? { refresh_token: next } : {}),
          }),
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** A mailbox's IMAP_OAUTH_* settings against this endpoint, with `refreshToken`. */
  oauthConfig(refreshToken: string) {
    return { tokenUrl: `${this.url}/token`, clientId: 'rapport-app', clientSecret: 's3cret', refreshToken };
  }

  /** The access tokens it issued, oldest first. */
  issued(): string[] {
    return [...this.tokens.keys()];
  }
}
