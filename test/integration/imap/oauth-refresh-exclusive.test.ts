import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthTokenSource } from '../../../connectors/imap/oauth-token-source.ts';
import type { Database } from '../../../src/db/database.ts';
import { mailboxRefreshTokenStore, type RefreshTokenStore } from '../../../src/db/mailbox-refresh-token.repository.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import { IdentityProvider } from '../../helpers/oauth-identity-provider.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { SecretBox } from '../../../src/db/secret-box.ts';

// Two processes renew one mailbox's token at once (the bot and `rapport doctor` on PostgreSQL, or a bot
// taking over): each reads the stored refresh token and sends it. An endpoint that spends a refresh
// token on use (reuse detection) answers the second with invalid_grant, and some revoke the whole
// chain. The store now lets one process at a time load, ask and save (a PostgreSQL advisory lock per
// mailbox). Two database handles with pools of their own stand for the two processes.

const MAILBOX = 'support@support.example';
const idp = new IdentityProvider();
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
let one: Database;
let two: Database;

beforeAll(async () => {
  await idp.start();
  // Slow enough that the two requests overlap.
  idp.delayMs = 400;
  scratch = await createScratchPostgres();
  one = await openDatabase({ databaseUrl: scratch.url });
  two = await openDatabase({ databaseUrl: scratch.url, migrate: false });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await scratch?.drop();
  idp.server?.close();
});

const oauth = (refreshToken: string) => idp.oauthConfig(refreshToken);
const source = (configured: string, store: RefreshTokenStore) =>
  new OAuthTokenSource(oauth(configured), MAILBOX, { store });

/** Tokens stored as they are (no RAPPORT_SECRET_KEY): sealing is secrets-at-rest.test.ts's. */
const keyless = { secrets: new SecretBox() };

describe('two processes renewing one mailbox token at once', () => {
  it('never send the same refresh token: the second waits, reads the rotated one and sends that', async () => {
    idp.refreshTokens.add('rt-a');
    const before = idp.requests.length;
    const [a, b] = [one, two].map((db) =>
      source('rt-a', mailboxRefreshTokenStore(db, MAILBOX, oauth('rt-a'), keyless)),
    );
    const tokens = await Promise.all([a.accessToken(), b.accessToken()]);
    expect(tokens.every((t) => t.startsWith('at-'))).toBe(true);
    const sent = idp.requests.slice(before).map((f) => f.get('refresh_token'));
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe('rt-a');
    expect(sent[1]).not.toBe('rt-a');
    // The stored one is the newest: the endpoint still accepts it.
    const stored = await mailboxRefreshTokenStore(one, MAILBOX, oauth('rt-a'), keyless).load();
    expect(idp.refreshTokens.has(stored!)).toBe(true);
  });

  it('without the lock (the store as it was) the second is refused: what the lock prevents', async () => {
    idp.refreshTokens.add('rt-b');
    // Long enough that both have read the stored token before either is answered, however loaded the
    // machine (else the second would read the rotated one and go through by luck).
    idp.delayMs = 2000;
    const unlocked = (db: Database): RefreshTokenStore => {
      const store = mailboxRefreshTokenStore(db, MAILBOX, oauth('rt-b'), keyless);
      return { ...store, exclusive: (fn) => fn(store) };
    };
    const results = await Promise.allSettled([
      source('rt-b', unlocked(one)).accessToken(),
      source('rt-b', unlocked(two)).accessToken(),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(
      /invalid_grant/,
    );
    idp.delayMs = 400;
  });

  it('renews with a pool of one connection (DATABASE_POOL_SIZE=1): the row is read and written on the locked session', async () => {
    idp.refreshTokens.add('rt-d');
    const small = await openDatabase({ databaseUrl: scratch.url, migrate: false, poolSize: 1 });
    try {
      const renewed = source('rt-d', mailboxRefreshTokenStore(small, MAILBOX, oauth('rt-d'), keyless)).accessToken();
      const stuck = new Promise((r) => setTimeout(() => r('stuck'), 10_000));
      expect(String(await Promise.race([renewed, stuck]))).toMatch(/^at-/);
      expect(await mailboxRefreshTokenStore(small, MAILBOX, oauth('rt-d'), keyless).load()).toMatch(/^rt-/);
    } finally {
      await small.close();
    }
  });

  it('a process that holds the lock too long makes the other give up in words (the sync retries), then it goes through', async () => {
    idp.refreshTokens.add('rt-c');
    const store = mailboxRefreshTokenStore(two, MAILBOX, oauth('rt-c'), { ...keyless, waitMs: 500 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = mailboxRefreshTokenStore(one, MAILBOX, oauth('rt-c'), keyless).exclusive(async () => {
      locked();
      await held;
    });
    await isLocked;
    await expect(source('rt-c', store).accessToken()).rejects.toThrow(
      `Another process has been renewing the OAuth2 token of ${MAILBOX} for 1 s; trying again.`,
    );
    release();
    await holder;
    expect((await source('rt-c', store).accessToken()).startsWith('at-')).toBe(true);
  });
});
