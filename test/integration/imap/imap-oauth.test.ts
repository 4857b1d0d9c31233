import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { imapDoctorCheck } from '../../../connectors/imap/imap.doctor.ts';
import { MailboxSync } from '../../../connectors/imap/mailbox-sync.ts';
import type { Config, MailboxConfig, MailboxOAuthConfig } from '../../../src/config/env.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { dovecotMailbox, startDovecot, type DovecotServer } from '../../helpers/dovecot.ts';
import { testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// Microsoft 365 and Gmail turned passwords off: a mailbox logs in with OAuth2 tokens that last about an
// hour. Here a local identity provider issues tokens that last 2 s, and Dovecot's oauth2 passdb asks it
// (RFC 7662 introspection) at every login whether a token is still good, as those servers do.

interface IssuedToken {
  user: string;
  expiresAt: number;
  revoked: boolean;
}

/** A token endpoint (refresh_token and client_credentials grants) with introspection, recording what it was asked. */
class IdentityProvider {
  server!: Server;
  url = '';
  readonly tokens = new Map<string, IssuedToken>();
  readonly requests: URLSearchParams[] = [];
  /** Each introspection answer (was the token good?). */
  readonly logins: boolean[] = [];
  lifetimeSeconds = 2;
  /** Refresh tokens it accepts; each use rotates it (the answer carries the next one). */
  readonly refreshTokens = new Set<string>();
  clients = new Map<string, string>([['rapport-app', 's3cret']]);

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const form = new URLSearchParams(body);
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

  /** The access tokens it issued, oldest first. */
  issued(): string[] {
    return [...this.tokens.keys()];
  }
}

const idp = new IdentityProvider();
let dovecot: DovecotServer;
let redis: Redis;
const account = { user: 'support@support.example', password: randomBytes(8).toString('hex') };

beforeAll(async () => {
  await idp.start();
  dovecot = await startDovecot({ oauthIntrospectionUrl: `${idp.url}/introspect` });
  // The same mailbox also has a password, so the test can deliver mail with a plain login.
  Object.assign(account, await dovecot.addUser(account.user));
  redis = connectRedis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  redis?.disconnect();
  await dovecot?.stop();
  idp.server?.close();
});

/** Delivers a mail from a new sender, with a plain login (the test's password). */
async function deliver(subject: string): Promise<void> {
  const c = await dovecot.client(account);
  await c.append('INBOX', buildEmail({ from: `jo@acme-${randomBytes(3).toString('hex')}.com`, subject }));
  await c.logout();
}

/** The identity provider's token endpoint and this app's registration there; a test adds the grant's fields. */
const endpoint = (): MailboxOAuthConfig => ({
  tokenUrl: `${idp.url}/token`,
  clientId: 'rapport-app',
  clientSecret: 's3cret',
});

/** The mailbox logging in with `auth` only (its password is the test's, for delivering mail). */
function mailbox(auth: Partial<Pick<MailboxConfig, 'oauth' | 'accessToken' | 'folders'>>): MailboxConfig {
  return dovecotMailbox(dovecot, account, { password: undefined, createCompanies: 'all', ...auth });
}

async function withSync(
  auth: Partial<Pick<MailboxConfig, 'oauth' | 'accessToken' | 'folders'>>,
  run: (s: { sync: MailboxSync; tdb: TestDatabase; subjects: () => Promise<string[]> }) => Promise<void>,
): Promise<void> {
  const tdb = await createTestDatabase('pglite');
  const sync = new MailboxSync(mailbox(auth), testSyncDeps(tdb.db, redis, { backoffMs: { min: 100, max: 500 } }));
  const subjects = async () =>
    (await tdb.db.prisma.communicationRecord.findMany({ orderBy: { startedAt: 'asc' } })).map((r) => r.subject ?? '');
  try {
    sync.start();
    await run({ sync, tdb, subjects });
  } finally {
    await sync.stop();
    await tdb.dispose();
  }
}

/** Empties the mailbox between tests (each test's sync starts from its own database, so from UID 1). */
async function emptyMailbox(): Promise<void> {
  const c = await dovecot.client(account);
  await c.mailboxOpen('INBOX');
  await c.messageDelete('1:*').catch(() => undefined);
  await c.logout();
}

describe('IMAP with OAuth2 tokens (IMAP_OAUTH_*)', () => {
  it('renews the token before it runs out: the mailbox keeps syncing after a reconnect past its first token', async () => {
    await emptyMailbox();
    idp.refreshTokens.add('rt-first');
    const oauth: MailboxOAuthConfig = {
      ...endpoint(),
      refreshToken: 'rt-first',
    };
    const before = idp.requests.length;
    const loginsBefore = idp.logins.length;
    // Two folders: two connections, which share one token request each time.
    const c = await dovecot.client(account);
    if (!(await c.list()).some((f) => f.path === 'Sent')) await c.mailboxCreate('Sent');
    await c.logout();
    await withSync({ oauth, folders: ['INBOX', 'Sent'] }, async ({ sync, subjects }) => {
      await deliver('Quote for 20 seats');
      await waitFor(async () => (await subjects()).length === 1, 15_000, 'the first mail');
      // Past the first token's life the server drops the connection; the sync logs in again.
      await new Promise((r) => setTimeout(r, 2_500));
      await dovecot.kick(account.user);
      await deliver('Re: Quote for 20 seats, signed');
      await waitFor(async () => (await subjects()).length === 2, 20_000, 'the mail after the reconnect');
      expect(sync.status.lastError).toBeUndefined();
    });
    const asked = idp.requests.slice(before);
    expect(asked.map((f) => f.get('grant_type'))).toEqual(['refresh_token', 'refresh_token']);
    expect(asked[0].get('refresh_token')).toBe('rt-first');
    expect(asked[0].get('client_id')).toBe('rapport-app');
    expect(asked[0].get('client_secret')).toBe('s3cret');
    // The endpoint rotated the refresh token: the next request sent the new one (the first is spent).
    expect(asked[1].get('refresh_token')).toMatch(/^rt-[0-9a-f]{8}$/);
    // Every login offered a good token: none was refused.
    expect(idp.logins.slice(loginsBefore).every(Boolean)).toBe(true);
  });

  it('a fixed IMAP_ACCESS_TOKEN stops the sync once it runs out, and says what to set', async () => {
    await emptyMailbox();
    idp.refreshTokens.add('rt-fixed');
    const res = await fetch(`${idp.url}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'rt-fixed',
        client_id: 'rapport-app',
        client_secret: 's3cret',
      }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    // Good for the first login however long the test database takes to make (a loaded machine):
    // it runs out only when the test says so, after the first mail.
    const issued = idp.tokens.get(access_token)!;
    issued.expiresAt = Number.POSITIVE_INFINITY;
    await withSync({ accessToken: access_token }, async ({ sync, subjects }) => {
      await deliver('Invoice question');
      await waitFor(async () => (await subjects()).length === 1, 15_000, 'the first mail');
      issued.expiresAt = Date.now();
      await dovecot.kick(account.user);
      await waitFor(async () => sync.status.lastErrorCode === 'auth', 15_000, 'the refused login');
      expect(sync.status.lastError).toContain('check IMAP_ACCESS_TOKEN (it may have expired; set IMAP_OAUTH_TOKEN_URL');
    });
  });

  it('client_credentials (Microsoft 365 app-only): a token the server refuses is replaced at the next connection', async () => {
    await emptyMailbox();
    const oauth: MailboxOAuthConfig = {
      ...endpoint(),
      scope: 'https://outlook.office365.com/.default',
    };
    idp.lifetimeSeconds = 3600;
    const before = idp.requests.length;
    try {
      await withSync({ oauth }, async ({ sync, subjects }) => {
        await deliver('Churn risk: cancelling');
        await waitFor(async () => (await subjects()).length === 1, 15_000, 'the first mail');
        // Revoked long before its hour is up (an admin rotated the app's secret, a policy change).
        for (const t of idp.tokens.values()) t.revoked = true;
        await dovecot.kick(account.user);
        await deliver('Re: Churn risk: cancelling');
        // Dovecot answers a refused login after auth_failure_delay (2 s) and more after repeats: a generous bound.
        await waitFor(async () => (await subjects()).length === 2, 60_000, 'the mail after the new token');
        expect(sync.status.state).toBe('watching');
      });
    } finally {
      idp.lifetimeSeconds = 2;
    }
    const asked = idp.requests.slice(before);
    expect(asked.length).toBe(2);
    expect(asked.map((f) => [f.get('grant_type'), f.get('scope')])).toEqual([
      ['client_credentials', 'https://outlook.office365.com/.default'],
      ['client_credentials', 'https://outlook.office365.com/.default'],
    ]);
  });

  it('a refused refresh token is said in words, retried, and no mail is lost once it is fixed', async () => {
    await emptyMailbox();
    const oauth: MailboxOAuthConfig = {
      ...endpoint(),
      refreshToken: 'rt-revoked',
    };
    await deliver('Waiting for the token');
    await withSync({ oauth }, async ({ sync, subjects }) => {
      await waitFor(async () => sync.status.lastErrorCode === 'auth', 15_000, 'the refused refresh token');
      expect(sync.status.lastError).toBe(
        `The OAuth2 token endpoint refused a token for ${account.user} (refresh_token grant, invalid_grant: Token has been expired or revoked.): the refresh token was revoked or expired: sign in again to get a new one and set IMAP_OAUTH_REFRESH_TOKEN.`,
      );
      expect(await subjects()).toEqual([]);
      // The user signs in again (here: the provider accepts the token again); the retries pick it up.
      idp.refreshTokens.add('rt-revoked');
      await waitFor(async () => (await subjects()).length === 1, 20_000, 'the mail that waited');
    });
  });

  it('rapport doctor logs in with a fresh token, and names the setting when the endpoint refuses the client', async () => {
    const base = mailbox({
      oauth: { ...endpoint(), scope: 'imap' },
    });
    const ok = await imapDoctorCheck({ imap: [base] } as unknown as Config);
    expect(ok.ok).toBe(true);
    expect(ok.detail).toContain(`${account.user}: login ok`);
    const bad = await imapDoctorCheck({
      imap: [{ ...base, oauth: { ...base.oauth!, clientSecret: 'wrong' } }],
    } as unknown as Config);
    expect(bad.ok).toBe(false);
    expect(bad.fix).toBe(
      `The OAuth2 token endpoint refused a token for ${account.user} (client_credentials grant, invalid_client: AADSTS7000215: Invalid client secret provided.): check IMAP_OAUTH_CLIENT_ID and IMAP_OAUTH_CLIENT_SECRET.`,
    );
  });
});
