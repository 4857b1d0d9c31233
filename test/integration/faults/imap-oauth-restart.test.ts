import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { IdentityProvider } from '../../helpers/oauth-identity-provider.ts';
import { mailboxBotsFixture } from '../../helpers/mailbox-bots.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';

// The bot is killed (kill -9: nothing in memory survives) after its token endpoint rotated the refresh
// token it was configured with, and started again with the same settings. The configured token is spent
// by then (Microsoft's also run out 90 days after they were issued): the second run must send the one the
// first run was given, from the database, or the mailbox stops with invalid_grant.

const idp = new IdentityProvider();
const SECRET_KEY = randomBytes(32).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'rapport-oauth-restart-'));
beforeAll(() => idp.start());
// Registered before the fixture: run after its teardown has killed the bots.
afterAll(() => {
  idp.server?.close();
  rmSync(dir, { recursive: true, force: true });
});
// Dovecot takes the logins the identity provider vouches for; the first bot migrates the database.
const fx = mailboxBotsFixture({ migrate: false, dovecot: () => ({ oauthIntrospectionUrl: `${idp.url}/introspect` }) });

async function startBot(): Promise<SpawnedRapport> {
  const { proc } = await fx.bots.start({
    DATABASE_URL: fx.databaseUrl,
    // One data directory for both runs: the same installation restarted.
    RAPPORT_DATA_DIR: dir,
    IMAP_HOST: fx.dovecot.host,
    IMAP_PORT: String(fx.dovecot.port),
    IMAP_SECURE: 'false',
    IMAP_USER: fx.account.user,
    IMAP_OAUTH_TOKEN_URL: `${idp.url}/token`,
    IMAP_OAUTH_CLIENT_ID: 'rapport-app',
    IMAP_OAUTH_CLIENT_SECRET: 's3cret',
    IMAP_OAUTH_REFRESH_TOKEN: 'rt-configured',
    IMAP_CREATE_COMPANIES: 'all',
    // The rotated token is kept sealed: the restart must open it (see README "Secrets at rest").
    RAPPORT_SECRET_KEY: SECRET_KEY,
    LOG_LEVEL: 'info',
  });
  return proc;
}

const deliver = (subject: string) =>
  fx.deliver(buildEmail({ from: `jo@acme-${randomBytes(3).toString('hex')}.com`, subject }));

describe('a rotated OAuth2 refresh token across a kill -9 of the bot', () => {
  it('the restarted bot logs in with the token the first run was given, and logs the mail', async () => {
    idp.refreshTokens.add('rt-configured');
    const first = await startBot();
    await deliver('Before the crash');
    const db = await fx.openDb();
    const records = () => db.prisma.communicationRecord.count();
    await waitFor(
      async () => (await records()) === 1,
      30_000,
      () => `the first mail:\n${first.output()}`,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(idp.refreshTokens.has('rt-configured')).toBe(false);
    const sentBefore = idp.requests.length;

    const second = await startBot();
    await deliver('After the crash');
    await waitFor(
      async () => (await records()) === 2,
      30_000,
      () => `the mail after the restart:\n${second.output()}`,
    );
    const sent = idp.requests.slice(sentBefore).map((f) => f.get('refresh_token'));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent).not.toContain('rt-configured');
    expect(second.output()).not.toContain('invalid_grant');
    // At rest the stored refresh token is sealed: none of the tokens issued is in the row.
    const [row] = await db.sql.query<{ refreshToken: string }>('SELECT "refreshToken" FROM "MailboxRefreshToken"');
    expect(row.refreshToken).toMatch(/^sealed:v1:/);
    const issued = [...idp.refreshTokens, ...idp.requests.map((f) => f.get('refresh_token') ?? '')].filter(Boolean);
    for (const token of issued) expect(row.refreshToken).not.toContain(token);
  });
});
