import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// Before oidc-provider: its expected development-mode lines are kept, not printed (see the module).
import { oidcProviderSaid } from '../../helpers/oidc-provider-console.ts';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { launchChromium, startConsoleServer, typeInConsole, type ConsoleServer } from '../../helpers/console-server.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { RAPPORT_BIN } from '../../helpers/spawn-rapport.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { SecretBox } from '../../../src/db/secret-box.ts';
import { SIGN_IN_ERROR_CODES } from '../../../connectors/console/oidc-sign-in.ts';

const SLACK_TEAM_CLAIM = 'https://slack.com/team_id';

/** `rapport admin create NAME ...` as a real child process, the password on stdin. */
function adminCli(
  args: string[],
  password: string,
  databaseUrl: string,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RAPPORT_BIN, 'admin', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: databaseUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.stdin.end(`${password}\n`);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

// Issue 17: people sign in (password, Slack, Microsoft) and are the Rep they signed in as.
describe('console sign-in in headless Chromium', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;
  let idp: Server;
  let issuer: string;
  let slack: SlackRecorder;

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    // Slack's Web API (users.info) as the bot's token sees the people who sign in with Slack.
    slack = new SlackRecorder();
    const slackApi = await slack.start();
    slack.users.set('U0BOSS', { team_id: 'T0OURS', is_restricted: false, is_ultra_restricted: false });
    slack.users.set('U0GUEST', { team_id: 'T0OURS', is_restricted: true, is_ultra_restricted: false });
    slack.users.set('U0SOLO', { team_id: 'T0OURS', is_restricted: true, is_ultra_restricted: true });
    slack.users.set('U0VISITOR', { team_id: 'T0ELSEWHERE' });
    slack.users.set('U0OWNER', { team_id: 'T0OURS', is_owner: true });
    // A real OpenID Connect provider (the oidc-provider package), started here on localhost.
    idp = createServer();
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    issuer = `http://localhost:${(idp.address() as AddressInfo).port}`;
    // The console needs its port before the provider knows the redirect URLs: take one first.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const consolePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'rapport-slack',
          client_secret: 'slack-secret-0123456789abcdef',
          redirect_uris: [`http://127.0.0.1:${consolePort}/console/auth/slack/callback`],
        },
        {
          client_id: 'rapport-entra',
          client_secret: 'entra-secret-0123456789abcdef',
          redirect_uris: [`http://127.0.0.1:${consolePort}/console/auth/entra/callback`],
        },
      ],
      claims: {
        openid: ['sub', SLACK_TEAM_CLAIM, 'tid', 'acct', 'upn', 'idp'],
        email: ['email', 'email_verified'],
        profile: ['name'],
      },
      conformIdTokenClaims: false,
      // Login names "other-…" belong to another Slack workspace; for Entra, "alien-…" signs in to another
      // tenant (tid), "guest-…" is a B2B guest of ours (acct 1), "ext-…" a guest known by its #EXT# UPN.
      findAccount: async (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: async () => ({
          sub: id,
          email: `${id.toLowerCase()}@ours.example`,
          email_verified: true,
          name: `Person ${id}`,
          [SLACK_TEAM_CLAIM]: id.startsWith('other-') ? 'T0OTHER' : 'T0OURS',
          tid: id.startsWith('alien-') ? 'tenant-theirs' : 'tenant-ours',
          acct: id.startsWith('guest-') ? 1 : 0,
          upn: id.startsWith('ext-') ? `${id}_partner.example#EXT#@ours.onmicrosoft.com` : `${id}@ours.example`,
          // A B2B guest from another tenant: the identity provider that authenticated them is not the issuer.
          ...(id.startsWith('b2b-') ? { idp: 'https://sts.windows.net/tenant-partner/' } : {}),
        }),
      }),
    });
    idp.on('request', provider.callback());
    expect(oidcProviderSaid.join('\n')).toMatch(/development-only/); // kept, not printed
    app = await startConsoleServer(t.db, {
      port: consolePort,
      admins: ['boss@ours.example'],
      signIn: {
        slack: {
          issuer,
          clientId: 'rapport-slack',
          clientSecret: 'slack-secret-0123456789abcdef',
          teamIds: ['T0OURS'],
        },
        entra: {
          issuer,
          clientId: 'rapport-entra',
          clientSecret: 'entra-secret-0123456789abcdef',
          tenantId: 'tenant-ours',
        },
      },
      slackUsers: { botToken: 'xoxb-console-test', apiUrl: slackApi, secrets: new SecretBox() },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    idp?.closeAllConnections();
    await new Promise((r) => idp?.close(r));
    await slack?.stop();
    await t?.dispose();
  });

  const send = (page: Page, command: string) => typeInConsole(page, command);

  /** Through the provider's own login and consent pages, as a person would. */
  const signInWith = async (page: Page, button: string, login: string) => {
    await page.goto(`${app.base}/console`);
    await page.getByRole('link', { name: button }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
    await consent.waitFor();
    await consent.click();
  };

  it('`rapport admin create` makes an account; a browser signs in with it and acts as that rep, never as another', async () => {
    const created = await adminCli(['create', 'jo', '--role', 'admin'], 'correct horse battery', t.url!);
    expect(created.out).toContain('Created the console account "jo"');
    expect(created.code).toBe(0);
    const short = await adminCli(['create', 'kim'], 'short', t.url!);
    expect(short.code).toBe(1);
    expect(short.out).toContain('at least 12 characters');
    // `admin list` names each account with its role (the password failure created nothing).
    const listed = await adminCli(['list'], '', t.url!);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('jo\tadmin');
    expect(listed.out).not.toContain('kim');
    const account = await t.db.prisma.consoleAccount.findUniqueOrThrow({ where: { username: 'jo' } });
    expect(account.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(account.passwordHash).not.toContain('correct horse');

    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${app.base}/console`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      await page.fill('#username', 'jo');
      await page.fill('#password', 'wrong password!!');
      await page.click('#password-form button[type="submit"]');
      await expect.poll(() => page.textContent('#error')).toBe('Wrong user name or password.');
      await page.fill('#username', 'jo');
      await page.fill('#password', 'correct horse battery');
      await page.click('#password-form button[type="submit"]');
      // Signing in lands on "My day".
      await page.waitForURL(`${app.base}/console/today`);
      await expect.poll(() => page.textContent('#me')).toBe('jo (admin)');
      await page.goto(`${app.base}/console`);
      expect(await page.locator('#user').count()).toBe(0); // no "You are" box any more

      const cookie = (await context.cookies()).find((c) => c.name === 'rapport_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

      await send(page, 'log "Signed Co" "Called about renewal" --new');
      // The page's script naming someone else changes nothing: the session says who this is.
      await page.evaluate(() =>
        fetch('/api/command', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: 'log "Signed Co" "Pretending to be the boss"', user: 'boss' }),
        }),
      );
      const records = await t.db.prisma.communicationRecord.findMany({
        where: { company: { name: 'Signed Co' } },
        select: { loggedByRepId: true },
      });
      expect(records).toHaveLength(2);
      expect(records.every((r) => r.loggedByRepId === account.repId)).toBe(true);
      expect(await t.db.prisma.rep.count({ where: { name: 'boss' } })).toBe(0);

      // A forged cookie (payload changed, signature kept) is not a sign-in.
      const [body, sig] = cookie!.value.split('.');
      const forged = JSON.parse(Buffer.from(body, 'base64url').toString());
      forged.p.consoleId = 'boss';
      await context.addCookies([
        { ...cookie!, value: `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}` },
      ]);
      await page.goto(`${app.base}/console`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    } finally {
      await context.close();
    }
  });

  // Security review: the page showed any `?error=` text, so a link could make Rapport's own sign-in page
  // say what an attacker wrote ("Your session expired: call ..."). The routes send codes; the page shows
  // the fixed sentence of a code it knows and nothing else.
  it('the sign-in page shows only the fixed sentence of a known error code, never text from the address', async () => {
    const wrong = await fetch(`${app.base}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'mallory', password: 'not the password', next: '/console' }),
    });
    expect(wrong.headers.get('location')).toBe('/console/sign-in?error=wrong-password&next=%2Fconsole%2Ftoday');
    const context = await browser.newContext();
    const page = await context.newPage();
    /** What the page's error box says for `?error=<error>` (null: the box stays hidden). */
    const shown = async (error: string) => {
      await page.goto(`${app.base}/console/sign-in?error=${encodeURIComponent(error)}&next=%2Fconsole`);
      await page.getByRole('link', { name: 'Sign in with Slack' }).waitFor(); // the page's script ran
      return (await page.locator('#error').isVisible()) ? await page.textContent('#error') : null;
    };
    try {
      for (const forged of [
        'Your session expired. Call +1 555 0100 or sign in at https://rapport-login.example to continue.',
        'toString',
        '__proto__',
      ])
        expect(await shown(forged), forged).toBeNull();
      expect(await shown('wrong-password')).toBe('Wrong user name or password.');
      // Every code a route sends has its sentence.
      for (const code of SIGN_IN_ERROR_CODES) expect(await shown(code), code).toMatch(/^[A-Z].{15,}[.)]$/);
    } finally {
      await context.close();
    }
  });

  it('a rep account may not run admin commands; signing out ends the session', async () => {
    await createConsoleAccount(t.db, {
      username: 'ann',
      password: 'ann password 123',
      role: 'rep',
      timezone: 'UTC',
    });
    await t.db.prisma.company.create({ data: { name: 'Keep Me', normalizedName: 'keep me' } });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${app.base}/console/sign-in`);
      await page.fill('#username', 'ann');
      await page.fill('#password', 'ann password 123');
      await page.click('#password-form button[type="submit"]');
      await page.waitForURL(`${app.base}/console/today`);
      await expect.poll(() => page.textContent('#me')).toBe('ann');
      await page.goto(`${app.base}/console`);
      const reply = await send(page, 'forget "Keep Me"');
      expect(await reply.textContent()).toContain('Only a Rapport admin can');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/console\/sign-in/);
      const status = await page.evaluate(async () => (await fetch('/api/me')).status);
      expect(status).toBe(401);
    } finally {
      await context.close();
    }
    expect(await t.db.prisma.company.count({ where: { name: 'Keep Me' } })).toBe(1);
  });

  it('Sign in with Slack through a local OIDC provider: our workspace in, another workspace refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signInWith(page, 'Sign in with Slack', 'U0BOSS');
      await page.waitForURL(`${app.base}/console/today`);
      await expect.poll(() => page.textContent('#me')).toBe('Person U0BOSS');
      // Slack's token does not say who is a guest: the bot asked users.info about this person.
      expect(slack.callsTo('users.info').map((c) => [c.body.user, c.token])).toContainEqual([
        'U0BOSS',
        'xoxb-console-test',
      ]);
      await page.goto(`${app.base}/console`);
      const rep = await t.db.prisma.rep.findFirstOrThrow({ where: { email: 'u0boss@ours.example' } });
      expect(rep.platformUserIds).toContain('console:slack:T0OURS/U0BOSS');
      await send(page, 'remind "Slack Co" tomorrow 9am call back');
    } finally {
      await context.close();
    }
    const other = await browser.newContext();
    const page2 = await other.newPage();
    try {
      await signInWith(page2, 'Sign in with Slack', 'other-U0X');
      await page2.waitForURL(/\/console\/sign-in\?error=/);
      expect(await page2.textContent('#error')).toContain('not in a workspace this Rapport serves');
      expect(await t.db.prisma.rep.count({ where: { email: 'other-u0x@ours.example' } })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('Sign in with Microsoft (Entra ID) through the same local provider; RAPPORT_ADMINS makes an admin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signInWith(page, 'Sign in with Microsoft', 'boss');
      await page.waitForURL(`${app.base}/console/today`);
      await expect.poll(() => page.textContent('#me')).toBe('Person boss (admin)');
      const rep = await t.db.prisma.rep.findFirstOrThrow({ where: { email: 'boss@ours.example' } });
      expect(rep.platformUserIds).toContain('console:entra:boss');
    } finally {
      await context.close();
    }
  });
  /** Through the provider to the callback; the error sentence shown on the sign-in page. */
  const refused = async (button: string, login: string): Promise<string> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signInWith(page, button, login);
      await page.waitForURL(/\/console\/sign-in\?error=/);
      expect((await context.cookies()).some((c) => c.name === 'rapport_session')).toBe(false);
      return (await page.textContent('#error')) ?? '';
    } finally {
      await context.close();
    }
  };

  it('Slack guests (multi- and single-channel) and people of another workspace are refused; so is everyone while Slack cannot be asked', async () => {
    expect(await refused('Sign in with Slack', 'U0GUEST')).toContain('Guests of the Slack workspace cannot sign in');
    expect(await refused('Sign in with Slack', 'U0SOLO')).toContain('Guests of the Slack workspace cannot sign in');
    // Signed in through our workspace, but users.info says their home team is another organisation's.
    expect(await refused('Sign in with Slack', 'U0VISITOR')).toContain('belongs to another organisation');
    slack.failingUsers.add('U0BOSS');
    try {
      expect(await refused('Sign in with Slack', 'U0BOSS')).toContain('could not check your Slack account');
    } finally {
      slack.failingUsers.delete('U0BOSS');
    }
    for (const who of ['u0guest', 'u0solo', 'u0visitor'])
      expect(await t.db.prisma.rep.count({ where: { email: `${who}@ours.example` } })).toBe(0);
  });

  it("a Slack workspace owner signs in as an admin (issue 14's roles), without being listed in RAPPORT_ADMINS", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signInWith(page, 'Sign in with Slack', 'U0OWNER');
      await page.waitForURL(`${app.base}/console/today`);
      await expect.poll(() => page.textContent('#me')).toBe('Person U0OWNER (admin)');
    } finally {
      await context.close();
    }
  });

  it('Microsoft: another tenant (tid) and guest accounts (acct = 1, #EXT# UPN, idp of another tenant) are refused', async () => {
    expect(await refused('Sign in with Microsoft', 'alien-amy')).toContain(
      'That Microsoft account belongs to another organisation',
    );
    expect(await refused('Sign in with Microsoft', 'guest-gus')).toContain('Guest accounts of the Microsoft directory');
    expect(await refused('Sign in with Microsoft', 'ext-eve')).toContain('Guest accounts of the Microsoft directory');
    expect(await refused('Sign in with Microsoft', 'b2b-bo')).toContain('Guest accounts of the Microsoft directory');
    for (const who of ['alien-amy', 'guest-gus', 'ext-eve', 'b2b-bo'])
      expect(await t.db.prisma.rep.count({ where: { email: `${who}@ours.example` } })).toBe(0);
  });
});
