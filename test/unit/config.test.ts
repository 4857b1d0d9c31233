import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems } from '../helpers/config-problems.ts';
import { loadConfig } from '../../src/config/env.ts';

describe('loadConfig', () => {
  it('starts with zero configuration: PGlite, local Redis, port 3000, role all', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      redisUrl: 'redis://127.0.0.1:6379',
      role: 'all',
      timezone: 'UTC',
      logLevel: 'info',
      queuePrefix: '{rapport}',
    });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.slack).toBeUndefined();
    expect(c.teams).toBeUndefined();
  });

  it('collects every problem in plain words', () => {
    expect(
      configProblems({
        PORT: '70000',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'localhost:6379',
        RAPPORT_ROLE: 'boss',
        LOG_LEVEL: 'loud',
        RAPPORT_TIMEZONE: 'Nowhere/City',
      }),
    ).toEqual([
      'PORT must be a whole number between 0 and 65535, got "70000".',
      'DATABASE_URL must start with postgresql:// (got "mysql://x"); leave it unset to use the embedded database.',
      'REDIS_URL must start with redis:// or rediss:// (got "localhost:6379").',
      'RAPPORT_ROLE must be one of all, web, worker (got "boss").',
      'RAPPORT_TIMEZONE "Nowhere/City" is not an IANA timezone such as Europe/Berlin or America/New_York.',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud").',
    ]);
  });

  it('refuses split roles on the single-process embedded database', () => {
    expect(configProblems({ RAPPORT_ROLE: 'web' })[0]).toContain(
      'RAPPORT_ROLE=web needs a shared PostgreSQL database: set DATABASE_URL.',
    );
    expect(configProblems({ RAPPORT_ROLE: 'worker', DATABASE_URL: 'postgresql://db/rapport' })).toEqual([]);
  });

  it('reads RAPPORT_SECRET_KEY and RAPPORT_SECRET_KEY_OLD, refusing a malformed key without echoing it', () => {
    const k = 'a'.repeat(64);
    expect(
      loadConfig({ RAPPORT_SECRET_KEY: k, RAPPORT_SECRET_KEY_OLD: `${'b'.repeat(64)}, ${'c'.repeat(64)}` }).secretKeys,
    ).toMatchObject({ current: Buffer.from(k, 'hex') });
    expect(loadConfig({ RAPPORT_SECRET_KEY_OLD: 'b'.repeat(64) }).secretKeys.old).toHaveLength(1);
    const problems = configProblems({ RAPPORT_SECRET_KEY: 'hunter2-is-not-a-key' });
    expect(problems).toEqual([
      'RAPPORT_SECRET_KEY must be 32 random bytes, as 64 hex characters or base64 (make one with: openssl rand -base64 32).',
    ]);
  });

  it('never echoes a password back', () => {
    expect(configProblems({ DATABASE_URL: 'mysql://u:secret@h/db' })[0]).not.toContain('secret');
  });

  it('enables connectors by their credentials and checks they are complete', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack?.botToken).toBe('xoxb-1');
    expect(configProblems({ SLACK_BOT_TOKEN: 'xoxp-user' })).toEqual([
      'SLACK_BOT_TOKEN must be a bot token starting with xoxb-.',
      'Slack needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode).',
    ]);
    expect(configProblems({ MICROSOFT_APP_ID: 'abc', MICROSOFT_APP_TENANT_ID: 'tenant-ours' })).toEqual([
      'MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_ID is set.',
    ]);
  });

  it('Teams with an app id refuses to start without MICROSOFT_APP_TENANT_ID: our tenant is configured, never taken from an activity', () => {
    // The defaults (MultiTenant, no tenant) used to take "our tenant" from each activity: anyone who
    // installed an app with our bot id in their own tenant was one of our people there.
    const app = { MICROSOFT_APP_ID: '00000000-0000-0000-0000-00000000a11d', MICROSOFT_APP_PASSWORD: 'p' };
    for (const env of [app, { ...app, MICROSOFT_APP_TYPE: 'SingleTenant' }, { ...app, MICROSOFT_APP_TENANT_ID: ' ' }])
      expect(configProblems(env)).toEqual([
        expect.stringMatching(
          /^MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_ID is set: set it to your Microsoft 365 directory \(tenant\) id .*only that tenant's members as reps; without it anyone in any tenant who installs an app with this bot id/,
        ),
      ]);
    expect(loadConfig({ ...app, MICROSOFT_APP_TENANT_ID: 'tenant-ours' }).teams).toMatchObject({
      tenantId: 'tenant-ours',
      appType: 'MultiTenant',
    });
    // The local Emulator mode (no app id, loopback only) starts without one.
    expect(configProblems({ TEAMS_ENABLED: 'true' })).toEqual([]);
  });

  it('a single mailbox whose login is not an email address takes IMAP_ADDRESS (issue 20)', () => {
    const env = { IMAP_HOST: 'imap.example.com', IMAP_USER: 'DOMAIN\\support', IMAP_PASSWORD: 'p' };
    expect(configProblems(env)).toEqual([
      'IMAP_*: "domain\\support" is not an email address; set IMAP_ADDRESS to the mailbox\'s address (e.g. support@example.com).',
    ]);
    const c = loadConfig({ ...env, IMAP_ADDRESS: 'Support@Example.com' });
    expect(c.imap).toMatchObject([{ user: 'DOMAIN\\support', address: 'support@example.com' }]);
  });

  it('IMAP_FOLDERS defaults to INBOX and the Sent folder (\\Sent), and takes no other special-use name', () => {
    const env = { IMAP_HOST: 'imap.example.com', IMAP_USER: 'support@example.com', IMAP_PASSWORD: 'p' };
    expect(loadConfig(env).imap[0].folders).toEqual(['INBOX', '\\Sent']);
    expect(loadConfig({ ...env, IMAP_FOLDERS: 'INBOX, Sent Items' }).imap[0].folders).toEqual(['INBOX', 'Sent Items']);
    expect(configProblems({ ...env, IMAP_FOLDERS: 'INBOX,\\Drafts' })).toEqual([
      'IMAP_*: "\\Drafts" is not a folder: \\Sent (the server\'s Sent folder) is the only special-use name folders take; write other folders by name.',
    ]);
  });

  it('a mailbox can log in with OAuth2 tokens it renews (IMAP_OAUTH_*), and says what is missing', () => {
    const base = { IMAP_HOST: 'outlook.office365.com', IMAP_USER: 'support@example.com' };
    expect(configProblems(base)).toEqual([
      'IMAP_*: set IMAP_PASSWORD for support@example.com, or OAuth2 with IMAP_OAUTH_TOKEN_URL (Microsoft 365 and Gmail need it).',
    ]);
    const m365 = {
      ...base,
      IMAP_OAUTH_TOKEN_URL: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      IMAP_OAUTH_CLIENT_ID: 'app-id',
      IMAP_OAUTH_CLIENT_SECRET: 'secret',
      IMAP_OAUTH_SCOPE: 'https://outlook.office365.com/.default',
    };
    expect(configProblems(m365)).toEqual([]);
    expect(loadConfig(m365).imap[0].oauth).toEqual({
      tokenUrl: m365.IMAP_OAUTH_TOKEN_URL,
      clientId: 'app-id',
      clientSecret: 'secret',
      refreshToken: undefined,
      scope: 'https://outlook.office365.com/.default',
    });
    const { IMAP_OAUTH_SCOPE: _scope, ...noScope } = m365;
    expect(configProblems(noScope)).toEqual([
      'IMAP_*: without IMAP_OAUTH_REFRESH_TOKEN Rapport asks for app-only tokens (client_credentials), which need IMAP_OAUTH_CLIENT_SECRET and IMAP_OAUTH_SCOPE (Microsoft 365: https://outlook.office365.com/.default).',
    ]);
    expect(
      configProblems({ ...base, IMAP_OAUTH_TOKEN_URL: 'oauth2.googleapis.com/token', IMAP_OAUTH_REFRESH_TOKEN: 'rt' }),
    ).toEqual([
      'IMAP_*: IMAP_OAUTH_TOKEN_URL must be the token endpoint\'s URL, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token (got "oauth2.googleapis.com/token").',
      "IMAP_*: set IMAP_OAUTH_CLIENT_ID, the app's client id.",
    ]);
    // Gmail: a refresh token (and Google's client secret) is enough.
    expect(
      configProblems({
        ...base,
        IMAP_HOST: 'imap.gmail.com',
        IMAP_OAUTH_TOKEN_URL: 'https://oauth2.googleapis.com/token',
        IMAP_OAUTH_CLIENT_ID: 'id.apps.googleusercontent.com',
        IMAP_OAUTH_CLIENT_SECRET: 'secret',
        IMAP_OAUTH_REFRESH_TOKEN: '1//0g-refresh',
      }),
    ).toEqual([]);
  });

  it('RAPPORT_MAILBOXES lists mailboxes in a JSON file, each with a password or an "oauth" object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-mailboxes-'));
    const file = join(dir, 'mailboxes.json');
    const gmail = {
      host: 'imap.gmail.com',
      user: 'sales@example.com',
      oauth: {
        tokenUrl: 'https://oauth2.googleapis.com/token',
        clientId: 'id.apps.googleusercontent.com',
        clientSecret: 'secret',
        refreshToken: '1//0g-refresh',
      },
    };
    writeFileSync(
      file,
      JSON.stringify([{ host: 'imap.example.com', user: 'support@example.com', password: 'p' }, gmail]),
    );
    const c = loadConfig({ RAPPORT_MAILBOXES: file });
    expect(c.imap.map((m) => [m.address, m.password, m.oauth?.clientId])).toEqual([
      ['support@example.com', 'p', undefined],
      ['sales@example.com', undefined, 'id.apps.googleusercontent.com'],
    ]);
    writeFileSync(file, JSON.stringify([{ ...gmail, oauth: { tokenUrl: 'https://oauth2.googleapis.com/token' } }]));
    expect(configProblems({ RAPPORT_MAILBOXES: file })).toEqual([
      'RAPPORT_MAILBOXES entry 1: set "oauth.clientId", the app\'s client id.',
      'RAPPORT_MAILBOXES entry 1: without "oauth.refreshToken" Rapport asks for app-only tokens (client_credentials), which need "oauth.clientSecret" and "oauth.scope" (Microsoft 365: https://outlook.office365.com/.default).',
    ]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('classifies on a thread of its own in role all (HTTP shares the process), on the main thread in role worker', () => {
    const pg = { DATABASE_URL: 'postgres://localhost/rapport' };
    expect(loadConfig({}).classifyThread).toBe(true);
    expect(loadConfig({ ...pg, RAPPORT_ROLE: 'worker' }).classifyThread).toBe(false);
    expect(loadConfig({ RAPPORT_CLASSIFY_THREAD: 'off' }).classifyThread).toBe(false);
    expect(loadConfig({ ...pg, RAPPORT_ROLE: 'worker', RAPPORT_CLASSIFY_THREAD: 'on' }).classifyThread).toBe(true);
    expect(configProblems({ RAPPORT_CLASSIFY_THREAD: 'yes' })).toEqual([
      'RAPPORT_CLASSIFY_THREAD must be auto, on or off (got "yes").',
    ]);
  });

  it('holds jobs back while the main thread is busy in role all (0.5), never in role worker, as told otherwise', () => {
    const pg = { DATABASE_URL: 'postgres://localhost/rapport' };
    expect(loadConfig({}).jobsHeadroom).toBe(0.5);
    expect(loadConfig({ ...pg, RAPPORT_ROLE: 'worker' }).jobsHeadroom).toBeUndefined();
    expect(loadConfig({ RAPPORT_JOBS_HEADROOM: 'off' }).jobsHeadroom).toBeUndefined();
    expect(loadConfig({ ...pg, RAPPORT_ROLE: 'worker', RAPPORT_JOBS_HEADROOM: '0.8' }).jobsHeadroom).toBe(0.8);
    expect(configProblems({ RAPPORT_JOBS_HEADROOM: '1.5' })).toEqual([
      'RAPPORT_JOBS_HEADROOM must be auto, off or a number above 0 and at most 1 (got "1.5").',
    ]);
  });

  it('batches 32 messages and 16 deliveries per statement unless told otherwise, and refuses a batch of none', () => {
    expect(loadConfig({})).toMatchObject({ classifyBatchSize: 32, deliveryBatchSize: 16 });
    expect(loadConfig({ RAPPORT_CLASSIFY_BATCH_SIZE: '1', RAPPORT_DELIVERY_BATCH_SIZE: '64' })).toMatchObject({
      classifyBatchSize: 1,
      deliveryBatchSize: 64,
    });
    expect(configProblems({ RAPPORT_CLASSIFY_BATCH_SIZE: '0' })).toEqual([
      'RAPPORT_CLASSIFY_BATCH_SIZE must be a whole number between 1 and 500, got "0".',
    ]);
  });

  it('RAPPORT_TRUST_PROXY: addresses, ranges, range names or hops; believing anyone is refused', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ RAPPORT_TRUST_PROXY: ' 10.0.0.0/8 ,loopback, fd00::/8 ' }).trustProxy).toBe(
      '10.0.0.0/8, loopback, fd00::/8',
    );
    expect(loadConfig({ RAPPORT_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    for (const raw of ['true', '*', '10.0.0.0/33', 'lb.internal', '0', '10.0.0.1, '])
      expect(configProblems({ RAPPORT_TRUST_PROXY: raw }), raw).toEqual([
        expect.stringMatching(/^RAPPORT_TRUST_PROXY /),
      ]);
  });

  it('console sign-in: public URL, session secret and OIDC providers are checked with sentences', () => {
    expect(
      configProblems({
        RAPPORT_PUBLIC_URL: 'rapport.example.com',
        RAPPORT_SESSION_SECRET: 'short',
        RAPPORT_SIGNIN_SLACK_CLIENT_ID: '123.456',
        RAPPORT_SIGNIN_SLACK_CLIENT_SECRET: 's3cret',
        RAPPORT_SIGNIN_ENTRA_CLIENT_ID: 'app-id',
      }),
    ).toEqual([
      'RAPPORT_PUBLIC_URL must be the address people open Rapport at, like https://rapport.example.com (got "rapport.example.com").',
      'RAPPORT_SESSION_SECRET must be at least 32 characters (e.g. the output of `openssl rand -hex 32`).',
      'Sign in with Slack needs RAPPORT_SIGNIN_SLACK_TEAM_IDS: the workspace ids (T…) whose members may sign in; anyone with a Slack account could sign in otherwise.',
      'Sign in with Microsoft needs RAPPORT_SIGNIN_ENTRA_CLIENT_SECRET next to RAPPORT_SIGNIN_ENTRA_CLIENT_ID.',
      'Sign in with Microsoft needs RAPPORT_SIGNIN_ENTRA_TENANT_ID (your directory id): only its people may sign in.',
    ]);
    const c = loadConfig({
      RAPPORT_PUBLIC_URL: 'https://rapport.example.com',
      SLACK_CLIENT_ID: '123.456',
      SLACK_CLIENT_SECRET: 's3cret',
      SLACK_STATE_SECRET: 'state',
      SLACK_SIGNING_SECRET: 'sign',
      SLACK_TEAM_IDS: 'T1',
      RAPPORT_SIGNIN_SLACK_TEAM_IDS: 'T1, T2',
      RAPPORT_SIGNIN_ENTRA_CLIENT_ID: 'app-id',
      RAPPORT_SIGNIN_ENTRA_CLIENT_SECRET: 'app-secret',
      RAPPORT_SIGNIN_ENTRA_TENANT_ID: 'contoso.onmicrosoft.com',
    });
    expect(c.signIn.publicUrl?.host).toBe('rapport.example.com');
    expect(c.signIn.sessionHours).toBe(12);
    expect(c.signIn.slack).toEqual({
      issuer: 'https://slack.com',
      clientId: '123.456',
      clientSecret: 's3cret',
      teamIds: ['T1', 'T2'],
    });
    expect(c.signIn.entra?.issuer).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0');
  });

  it('documents every variable it reads in the README configuration table', () => {
    const source = readFileSync(new URL('../../src/config/env.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const names = [...new Set([...source.matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)].map((m) => m[1]))];
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
