import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackSignInStanding } from '../../connectors/console/slack-sign-in-standing.ts';
import { OAuthTokenSource } from '../../connectors/imap/oauth-token-source.ts';
import { SlackInstallationStore } from '../../connectors/slack/installation-store.ts';
import { mailboxRefreshTokenStore } from '../../src/db/mailbox-refresh-token.repository.ts';
import { SecretBox } from '../../src/db/secret-box.ts';
import { createLogger } from '../../src/logger.ts';
import { IdentityProvider } from '../helpers/oauth-identity-provider.ts';
import { SlackRecorder } from '../helpers/slack-recorder.ts';
import { spawnRapport } from '../helpers/spawn-rapport.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

// RAPPORT_SECRET_KEY seals the tokens the database keeps, so a dump or a backup holds none in the
// clear: a mailbox's rotated OAuth2 refresh token and a Slack OAuth install's bot token (and the
// installation, which holds every token). `rapport secrets reseal` (a real process here) seals what
// was stored before the key was set, and again after a rotation.

const MAILBOX = 'support@support.example';
const keyOf = () => randomBytes(32);
const idp = new IdentityProvider();
let t: TestDatabase;

beforeAll(async () => {
  await idp.start();
  t = await createTestDatabase('postgres');
});
afterAll(async () => {
  await t?.dispose();
  idp.server?.close();
});

const oauth = (refreshToken: string) => idp.oauthConfig(refreshToken);
const installation = (team: string, token: string) => ({
  team: { id: team, name: team },
  enterprise: undefined,
  isEnterpriseInstall: false,
  bot: { id: 'B1', userId: 'UBOT', token, scopes: ['chat:write'] },
  user: { id: 'UINSTALLER', token: `xoxp-${token}`, scopes: [] },
  tokenType: 'bot' as const,
  appId: 'A1',
});
/** Every stored token row as the database holds it, as text. */
const rawRows = async () =>
  JSON.stringify([
    await t.db.sql.query('SELECT * FROM "MailboxRefreshToken"'),
    await t.db.sql.query('SELECT * FROM "SlackInstallation"'),
  ]);
const reseal = async (env: Record<string, string>) => {
  const p = spawnRapport(['secrets', 'reseal'], { DATABASE_URL: t.url, ...env });
  return { code: await p.exited, output: p.output() };
};

describe('tokens sealed at rest with RAPPORT_SECRET_KEY', () => {
  it('the rotated refresh token and the Slack tokens are stored sealed and used in the clear', async () => {
    const secrets = new SecretBox({ current: keyOf(), old: [] });
    idp.refreshTokens.add('rt-configured');
    const source = new OAuthTokenSource(oauth('rt-configured'), MAILBOX, {
      store: mailboxRefreshTokenStore(t.db, MAILBOX, oauth('rt-configured'), { secrets }),
    });
    expect(await source.accessToken()).toMatch(/^at-/);
    const rotated = [...idp.refreshTokens].at(-1)!;
    const slack = new SlackInstallationStore(t.db, createLogger('silent'), { secrets });
    await slack.storeInstallation(installation('TSEALED', 'xoxb-sealed-secret'));

    const raw = await rawRows();
    for (const token of [rotated, 'xoxb-sealed-secret', 'xoxp-xoxb-sealed-secret']) expect(raw).not.toContain(token);
    expect(raw).toContain('sealed:v1:');
    expect(await mailboxRefreshTokenStore(t.db, MAILBOX, oauth('rt-configured'), { secrets }).load()).toBe(rotated);
    const fetched = await slack.fetchInstallation({
      teamId: 'TSEALED',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(fetched.bot?.token).toBe('xoxb-sealed-secret');
    expect(fetched.user.token).toBe('xoxp-xoxb-sealed-secret');

    // Another key (or none) cannot use them, and says which key it needs.
    const wrong = new SlackInstallationStore(t.db, createLogger('silent'), {
      secrets: new SecretBox({ current: keyOf(), old: [] }),
    });
    await expect(
      wrong.fetchInstallation({ teamId: 'TSEALED', enterpriseId: undefined, isEnterpriseInstall: false }),
    ).rejects.toThrow(
      /sealed with a key \(id [0-9a-f]{8}\) that neither RAPPORT_SECRET_KEY nor RAPPORT_SECRET_KEY_OLD holds/,
    );
  });

  it("the console's Slack sign-in asks Slack about the person with the workspace's sealed install token", async () => {
    // A console-only process (no SLACK_* settings): the workspace's OAuth install in the database gives
    // the token, which only this process's key opens.
    const secrets = new SecretBox({ current: keyOf(), old: [] });
    await new SlackInstallationStore(t.db, createLogger('silent'), { secrets }).storeInstallation(
      installation('TSIGNIN', 'xoxb-signin-secret'),
    );
    const slack = new SlackRecorder();
    const apiUrl = await slack.start();
    try {
      slack.users.set('UMEMBER', { team_id: 'TSIGNIN' });
      slack.users.set('UGUEST', { team_id: 'TSIGNIN', is_restricted: true });
      const standing = slackSignInStanding(t.db, { apiUrl, secrets });
      expect(await standing('TSIGNIN', 'UMEMBER')).toEqual({ standing: 'member', platformAdmin: false });
      expect(await standing('TSIGNIN', 'UGUEST')).toMatchObject({ standing: 'guest' });
      expect(slack.callsTo('users.info').map((c) => c.token)).toEqual(['xoxb-signin-secret', 'xoxb-signin-secret']);
      // Without the key the sealed token cannot be used: refused in words naming the key, Slack not asked.
      const asked = slack.calls.length;
      const keyless = slackSignInStanding(t.db, { apiUrl, secrets: new SecretBox() });
      await expect(keyless('TSIGNIN', 'UMEMBER')).rejects.toThrow(/RAPPORT_SECRET_KEY/);
      expect(slack.calls.length).toBe(asked);
    } finally {
      await slack.stop();
    }
  });

  it('rapport secrets reseal seals what was stored in the clear, and rotates to a new key', async () => {
    await t.db.sql.exec('DELETE FROM "MailboxRefreshToken"; DELETE FROM "SlackInstallation"');
    // Stored before a key was set.
    await mailboxRefreshTokenStore(t.db, MAILBOX, oauth('rt-x'), { secrets: new SecretBox() }).save('rt-plain-secret');
    await new SlackInstallationStore(t.db, createLogger('silent'), { secrets: new SecretBox() }).storeInstallation(
      installation('TPLAIN', 'xoxb-plain-secret'),
    );
    expect(await rawRows()).toContain('xoxb-plain-secret');

    expect(await reseal({})).toMatchObject({ code: 1 });
    expect((await reseal({})).output).toContain('Set RAPPORT_SECRET_KEY first');

    const first = keyOf();
    const one = await reseal({ RAPPORT_SECRET_KEY: first.toString('base64') });
    expect(one.code).toBe(0);
    expect(one.output).toContain(
      'Sealed with the current key: 1 OAuth2 refresh token(s), 1 Slack installation(s); the rest already were.',
    );
    let raw = await rawRows();
    for (const token of ['rt-plain-secret', 'xoxb-plain-secret']) expect(raw).not.toContain(token);
    const withFirst = new SecretBox({ current: first, old: [] });
    expect(await mailboxRefreshTokenStore(t.db, MAILBOX, oauth('rt-x'), { secrets: withFirst }).load()).toBe(
      'rt-plain-secret',
    );
    // Nothing left to do the second time.
    expect((await reseal({ RAPPORT_SECRET_KEY: first.toString('hex') })).output).toContain(
      '0 OAuth2 refresh token(s), 0 Slack installation(s)',
    );

    // Rotation: a new key, the old one kept to open, reseal, then the old one can go.
    const second = keyOf();
    const rotated = await reseal({
      RAPPORT_SECRET_KEY: second.toString('base64'),
      RAPPORT_SECRET_KEY_OLD: first.toString('base64'),
    });
    expect(rotated.output).toContain('1 OAuth2 refresh token(s), 1 Slack installation(s)');
    raw = await rawRows();
    expect(raw).not.toContain('xoxb-plain-secret');
    const onlySecond = new SecretBox({ current: second, old: [] });
    const slack = new SlackInstallationStore(t.db, createLogger('silent'), { secrets: onlySecond });
    expect(
      (await slack.fetchInstallation({ teamId: 'TPLAIN', enterpriseId: undefined, isEnterpriseInstall: false })).bot
        ?.token,
    ).toBe('xoxb-plain-secret');
    // A malformed key stops the command with the sentence.
    const bad = await reseal({ RAPPORT_SECRET_KEY: 'hunter2' });
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('RAPPORT_SECRET_KEY must be 32 random bytes');
  });
});
