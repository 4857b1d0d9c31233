import { Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { MailStrikes } from '../../../connectors/imap/mail-strikes.ts';
import { MailboxSync, type MailboxSyncDeps } from '../../../connectors/imap/mailbox-sync.ts';
import type { Database, SqlRunner } from '../../../src/db/database.ts';
import { findMailboxCursor } from '../../../src/db/mailbox-cursor.repository.ts';
import type { MailboxFolderKey } from '../../../src/db/mailbox-cursor.repository.ts';
import { claimMailboxInFlight, markMailboxInFlightHandling } from '../../../src/db/mailbox-in-flight.repository.ts';
import { quarantineMail } from '../../../src/db/mail-quarantine.repository.ts';
import { createLogger } from '../../../src/logger.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { dovecotMailbox } from '../../helpers/dovecot.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { dovecotAndRedis, testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

// README, "Bad mail is kept": the crash guard's claims that the kill test (faults/imap-mail-that-kills)
// does not prove by itself. A dead run's claim is seeded with the repository's own functions under fake
// run ids (as a run that died would have left it), then a real MailboxSync meets it over real Dovecot.

const servers = dovecotAndRedis();

/**
 * Leaves the claim of `runs` dead runs in a row on `key`, each of them handling `at` alone when it
 * stopped (none: each stopped between mails). The sync's claim counts one more death: `runs` deaths.
 */
async function seedDeadRuns(
  sql: SqlRunner,
  key: MailboxFolderKey,
  runs: number,
  at: { uid: number; uidValidity: bigint } | null,
): Promise<void> {
  for (let i = 0; i < runs; i++) {
    await claimMailboxInFlight(sql, key, `dead-run-${i}`);
    if (at) await markMailboxInFlightHandling(sql, key, `dead-run-${i}`, at);
  }
}

/** `db` whose raw SQL goes through `around` (each statement, its parameters, and how to run it). */
function interceptSql(
  db: Database,
  around: (text: string, params: unknown[] | undefined, run: () => Promise<unknown[]>) => Promise<unknown[]>,
): Database {
  const sql: SqlRunner = {
    exec: (text) => db.sql.exec(text),
    query: <T>(text: string, params?: unknown[], opts?: Parameters<SqlRunner['query']>[2]) =>
      around(text, params, () => db.sql.query(text, params, opts)) as Promise<T[]>,
  };
  return { ...db, sql };
}

/** A logger at warn whose lines are kept, to read what the sync said. */
function recordingLogger() {
  const lines: Array<{ msg: string; [k: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('warn', stream), lines };
}

interface Case {
  account: { user: string; password: string };
  tdb: TestDatabase;
  client: ImapFlow;
  /** INBOX's UIDVALIDITY. */
  uidValidity: bigint;
  key(folder?: string): MailboxFolderKey;
  sync(deps: Partial<MailboxSyncDeps>, folders?: string[]): MailboxSync;
  /** A sync of INBOX with `deps`, started, once its first full pass is done. */
  pass(deps?: Partial<MailboxSyncDeps>): Promise<MailboxSync>;
  close(): Promise<void>;
}

/** A new Dovecot user with `mails` in INBOX (UID 1, 2, ...: each one's body is its text), and a new database. */
async function newCase(kind: 'pglite' | 'postgres', mails: string[], otherFolders: string[] = []): Promise<Case> {
  const account = await servers.dovecot.addUser();
  const tdb = await createTestDatabase(kind);
  const client = await servers.dovecot.client(account);
  for (const f of otherFolders) await client.mailboxCreate(f);
  for (const [i, body] of mails.entries())
    await client.append('INBOX', buildEmail({ from: `c${i}@cust-careful.com`, subject: `Mail ${i + 1}`, body }));
  const uidValidity = (await client.mailboxOpen('INBOX')).uidValidity;
  const syncs: MailboxSync[] = [];
  const c: Case = {
    account,
    tdb,
    client,
    uidValidity,
    key: (folder = 'INBOX') => ({ mailbox: account.user, folder }),
    sync(deps, folders = ['INBOX']) {
      const s = new MailboxSync(
        dovecotMailbox(servers.dovecot, account, { folders, sinceDays: 0, createCompanies: 'all' }),
        testSyncDeps(tdb.db, servers.redis, { backoffMs: { min: 50, max: 200 }, ...deps }),
      );
      syncs.push(s);
      return s;
    },
    async pass(deps = {}) {
      const s = c.sync(deps);
      await firstPass(s);
      return s;
    },
    async close() {
      for (const s of syncs) await s.stop();
      await client.logout().catch(() => undefined);
      await tdb.dispose();
    },
  };
  return c;
}

/** Starts `sync` and waits until its first full pass over every folder is done. */
async function firstPass(sync: MailboxSync): Promise<void> {
  sync.start();
  await waitFor(async () => sync.status.state === 'watching' && sync.status.lastSyncAt, 30_000, 'the first pass');
}

/**
 * Runs `c`'s sync's first pass while another session deletes `uid` from INBOX at the moment the sync takes
 * its claim: after the folder was listed, before any mail of it is fetched. Returns the sync and its log.
 */
async function firstPassExpunging(c: Case, uid: number) {
  const remover = await servers.dovecot.client(c.account);
  await remover.mailboxOpen('INBOX');
  let expunged = false;
  const db = interceptSql(c.tdb.db, async (text, _params, run) => {
    const rows = await run();
    if (!expunged && text.includes('INSERT INTO "MailboxInFlight"')) {
      expunged = true;
      await remover.messageDelete(String(uid), { uid: true });
    }
    return rows;
  });
  const { logger, lines } = recordingLogger();
  const sync = c.sync({ db, logger });
  try {
    await firstPass(sync);
  } finally {
    await remover.logout().catch(() => undefined);
  }
  expect(expunged).toBe(true);
  return { sync, lines };
}

const texts = async (db: Database) =>
  (await db.prisma.message.findMany({ select: { text: true } })).map((m) => m.text.trim()).sort();

/** `sync` logged the mails of `bodies` (sorted) into `c`'s database, and no mail failed or was kept. */
async function expectLoggedOnly(c: Case, sync: MailboxSync, bodies: string[]): Promise<void> {
  expect(await texts(c.tdb.db)).toEqual(bodies);
  expect(await c.tdb.db.prisma.mailQuarantine.count()).toBe(0);
  expect(sync.status.counts).toMatchObject({ logged: bodies.length, failed: 0, quarantined: 0 });
}

describe.each(TEST_DATABASE_KINDS)('the careful window after a dead run (%s)', (kind) => {
  it('does not quarantine a mail that stopped three runs under another UIDVALIDITY: that UID is another mail', async () => {
    const c = await newCase(kind, ['first mail', 'second mail']);
    try {
      // Three runs died handling UID 1 of an earlier UIDVALIDITY (the folder was recreated since).
      await seedDeadRuns(c.tdb.db.sql, c.key(), 3, { uid: 1, uidValidity: c.uidValidity + 1n });
      await expectLoggedOnly(c, await c.pass(), ['first mail', 'second mail']);
    } finally {
      await c.close();
    }
  });

  it('quarantines unread the mail that stopped three runs in this UIDVALIDITY, and logs the next', async () => {
    const c = await newCase(kind, ['first mail', 'second mail']);
    try {
      await seedDeadRuns(c.tdb.db.sql, c.key(), 3, { uid: 1, uidValidity: c.uidValidity });
      await c.pass();
      expect(await texts(c.tdb.db)).toEqual(['second mail']);
      const rows = await c.tdb.db.prisma.mailQuarantine.findMany();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ mailbox: c.account.user, folder: 'INBOX', uid: 1n });
      expect(rows[0].note).toMatch(/^Rapport stopped 3 times in a row while handling this mail alone/);
      expect(Buffer.from(rows[0].raw).toString()).toContain('first mail');
      // Unread: the server's copy keeps no \Seen.
      const uid1 = await c.client.fetchOne('1', { flags: true }, { uid: true });
      expect(uid1 && [...(uid1.flags ?? [])]).not.toContain('\\Seen');
      expect(await findMailboxCursor(c.tdb.db.sql, c.key())).toEqual({ uidValidity: c.uidValidity, lastUid: 2 });
    } finally {
      await c.close();
    }
  });

  it('just passes the mail to quarantine when it was deleted from the server meanwhile', async () => {
    const c = await newCase(kind, ['first mail', 'second mail', 'third mail']);
    try {
      await seedDeadRuns(c.tdb.db.sql, c.key(), 3, { uid: 1, uidValidity: c.uidValidity });
      // UID 1 is deleted (by another session: someone unblocking the sync) after the sync listed the
      // folder, while it takes the claim that says to quarantine UID 1. Dovecot answers the sync's fetch of
      // it with `* 1 FETCH (UID 1 INTERNALDATE ... BODY[] NIL)`, then `* 1 EXPUNGE`, `OK [EXPUNGEISSUED]`.
      const { sync, lines } = await firstPassExpunging(c, 1);
      expect(lines.map((l) => l.msg)).toContain('the mail that stopped the process is gone from the server');
      await expectLoggedOnly(c, sync, ['second mail', 'third mail']);
      expect(await findMailboxCursor(c.tdb.db.sql, c.key())).toEqual({ uidValidity: c.uidValidity, lastUid: 3 });
      // Healthy: no error on the way, none kept on the cursor.
      expect(sync.status).toMatchObject({ state: 'watching', lastError: undefined });
      expect((await c.tdb.db.prisma.mailboxCursor.findFirst())?.lastError ?? null).toBeNull();
      expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('passes over a mail deleted between the listing and its fetch, with no error and no strike', async () => {
    const c = await newCase(kind, ['first mail', 'second mail', 'third mail']);
    try {
      // No dead run: an ordinary pass. UID 2 is deleted by another session after the sync listed the folder
      // (while it takes its claim), before its batch is fetched: Dovecot answers the fetch with BODY[] NIL.
      const { sync, lines } = await firstPassExpunging(c, 2);
      // Before, it was a failure of the mail: an error, a reconnect, and a strike towards quarantine.
      await expectLoggedOnly(c, sync, ['first mail', 'third mail']);
      expect(await findMailboxCursor(c.tdb.db.sql, c.key())).toEqual({ uidValidity: c.uidValidity, lastUid: 3 });
      expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('handles the whole window one mail at a time when it spans pages of the listing', async () => {
    const c = await newCase(kind, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    try {
      // A run died between mails (no mail in hand): the next start is careful for a window of 300 mails.
      await seedDeadRuns(c.tdb.db.sql, c.key(), 1, null);
      const commits: number[] = [];
      const hooks: PipelineHooks = {
        ...noopPipelineHooks,
        async recordsLogged(logged) {
          commits.push(logged.length);
        },
      };
      // Sizes read two at a time: the window runs over three pages.
      await c.pass({ hooks, listPageSize: 2 });
      expect(await texts(c.tdb.db)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      // One transaction per mail; the window ended with the first page before, and the rest went two by two.
      expect(commits).toEqual([1, 1, 1, 1, 1, 1]);
      const [claim] = await c.tdb.db.sql.query<{ run: string | null }>('SELECT run FROM "MailboxInFlight"');
      expect(claim.run).toBeNull();
    } finally {
      await c.close();
    }
  });

  it("has one careful mail in hand at a time in the process: another folder's careful mail waits", async () => {
    const c = await newCase(kind, ['inbox mail'], ['Other']);
    try {
      await c.client.append('Other', buildEmail({ from: 'd@cust-careful.com', subject: 'Other', body: 'other mail' }));
      // A run died in each folder (between mails): both folders start careful.
      await seedDeadRuns(c.tdb.db.sql, c.key('INBOX'), 1, null);
      await seedDeadRuns(c.tdb.db.sql, c.key('Other'), 1, null);
      // The first careful mail taken in hand is held right after the sync noted it (handlingUid set).
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const marked: string[] = [];
      const db = interceptSql(c.tdb.db, async (text, params, run) => {
        const rows = await run();
        if (text.includes('"handlingUid" = $4::bigint') && params?.[3] !== null) {
          marked.push(String(params?.[1]));
          if (marked.length === 1) await gate;
        }
        return rows;
      });
      const sync = c.sync({ db }, ['INBOX', 'Other']);
      const row = async (folder: string) =>
        (
          await c.tdb.db.sql.query<{ run: string | null; handlingUid: string | bigint | null }>(
            `SELECT run, "handlingUid" FROM "MailboxInFlight" WHERE mailbox = $1 AND folder = $2`,
            [c.account.user, folder],
          )
        ).map((r) => ({ ...r, handlingUid: r.handlingUid === null ? null : Number(r.handlingUid) }))[0];
      try {
        sync.start();
        await waitFor(async () => marked.length > 0, 30_000, 'a careful mail in hand');
        const [held] = marked;
        const waiting = held === 'INBOX' ? 'Other' : 'INBOX';
        // The other folder took its claim (its careful window is known) ...
        await waitFor(async () => (await row(waiting))?.run?.startsWith('dead-run') === false, 30_000, 'its claim');
        // ... and, while the held mail stays in hand, does not take its own.
        await new Promise((r) => setTimeout(r, 750));
        expect(marked).toEqual([held]);
        expect(await row(held)).toMatchObject({ handlingUid: 1 });
        expect(await row(waiting)).toMatchObject({ handlingUid: null });
        expect(await texts(c.tdb.db)).toEqual([]);
      } finally {
        release();
      }
      await waitFor(async () => (await texts(c.tdb.db)).length === 2, 30_000, 'both mails logged');
      expect(await texts(c.tdb.db)).toEqual(['inbox mail', 'other mail']);
      // Both windows handled to their end: the claims are released.
      await waitFor(
        async () => (await row('INBOX'))?.run === null && (await row('Other'))?.run === null,
        30_000,
        'both claims released',
      );
      expect(marked.sort()).toEqual(['INBOX', 'Other']);
    } finally {
      await c.close();
    }
  });
});

type Patchable = { newClient(token: string | undefined): ImapFlow };

/**
 * Has `sync`'s connections answer a body fetch without the body of each UID `withhold` picks (the rest of
 * Dovecot's row as it came: a server that cannot send that mail yet), and run `beforeOpen` before each
 * connection opens its folder. Returns the times (Date.now()) each body was withheld.
 */
function withholdBodies(
  sync: MailboxSync,
  withhold: (uid: number) => boolean,
  beforeOpen: () => Promise<void> = async () => {},
): number[] {
  const withheldAt: number[] = [];
  (sync as unknown as Patchable).newClient = (token) => {
    const c = (MailboxSync.prototype as unknown as Patchable).newClient.call(sync, token);
    const fetchAll = c.fetchAll.bind(c);
    c.fetchAll = async (range, query, options) => {
      const rows = await fetchAll(range, query, options);
      if (!query.source) return rows;
      return rows.map((r) => {
        if (!withhold(r.uid)) return r;
        withheldAt.push(Date.now());
        return { ...r, source: undefined };
      });
    };
    const mailboxOpen = c.mailboxOpen.bind(c);
    c.mailboxOpen = async (path, options) => {
      await beforeOpen();
      return mailboxOpen(path, options);
    };
    return c;
  };
  return withheldAt;
}

const quarantined = (db: Database) =>
  db.prisma.mailQuarantine.findMany({ orderBy: [{ uid: 'asc' }, { uidValidity: 'asc' }] });

// README, "Bad mail is kept": how the sync counts a mail's failures (strikes) and what it does with a mail the
// server sends no body for (one still being delivered), over real Dovecot with the body held back by the test.
describe.each(TEST_DATABASE_KINDS)("a mail's strikes (%s)", (kind) => {
  it('does not count the strikes of an older mail with the same UID under an earlier UIDVALIDITY', async () => {
    const c = await newCase(kind, [], ['Other']);
    try {
      await c.client.append('Other', buildEmail({ from: 'old@cust-careful.com', subject: 'Old', body: 'old mail' }));
      // Patience 0: a mail the server sends no body for is kept at its third strike, as a mail failing to be written is.
      const sync = c.sync({ unansweredPatienceMs: 0 }, ['Other']);
      const validities: bigint[] = [];
      let recreated = false;
      const withheldAt = withholdBodies(
        sync,
        // The old UID 1 twice, then the new UID 1 once.
        () => withheldAt.length < 2 || (recreated && withheldAt.length < 3),
        async () => {
          if (withheldAt.length === 2 && !recreated) {
            // Between two passes: the folder is recreated (a new UIDVALIDITY), its new mail is UID 1 again.
            recreated = true;
            await c.client.mailboxDelete('Other');
            await c.client.mailboxCreate('Other');
            await c.client.append(
              'Other',
              buildEmail({ from: 'new@cust-careful.com', subject: 'New', body: 'new mail' }),
            );
          }
          const other = await c.client.status('Other', { uidValidity: true });
          if (other) validities.push(other.uidValidity ?? 0n);
        },
      );
      sync.start();
      await waitFor(
        async () => (await texts(c.tdb.db)).length + (await c.tdb.db.prisma.mailQuarantine.count()) > 0,
        30_000,
        'the new mail logged or kept',
      );
      expect(new Set(validities).size).toBe(2);
      expect(withheldAt).toHaveLength(3);
      // On the code before, the new mail's first strike was the third of UID 1: it was kept without its source
      // and passed over, never logged.
      await expectLoggedOnly(c, sync, ['new mail']);
    } finally {
      await c.close();
    }
  });

  it('forgets the strikes of a mail deleted from the server once its cursor passes it', async () => {
    const c = await newCase(kind, ['deleted mail', 'kept mail']);
    try {
      // Nothing a sync does shows these strikes: a deleted UID never comes back in its UIDVALIDITY, and a new
      // UIDVALIDITY starts with none. What they cost is the memory of a long-running syncer, read here in
      // the strikes the test gives the sync.
      const strikes = new MailStrikes();
      const sync = c.sync({ strikes });
      let deleted = false;
      let struckBeforeDelete: number | undefined;
      const withheldAt = withholdBodies(
        sync,
        (uid) => uid === 1 && !deleted,
        async () => {
          if (withheldAt.length === 2 && !deleted) {
            deleted = true;
            struckBeforeDelete = strikes.size;
            await c.client.messageDelete('1', { uid: true });
          }
        },
      );
      sync.start();
      await waitFor(async () => sync.status.state === 'watching' && sync.status.lastSyncAt, 30_000, 'a full pass');
      expect(await texts(c.tdb.db)).toEqual(['kept mail']);
      expect(await findMailboxCursor(c.tdb.db.sql, c.key())).toEqual({ uidValidity: c.uidValidity, lastUid: 2 });
      // UID 1 was struck twice and is gone: a long-running syncer held its strikes for good before.
      expect(withheldAt).toHaveLength(2);
      expect(struckBeforeDelete).toBe(1);
      expect(strikes.size).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('waits the patience before keeping a mail the server sends no body for, and logs it if it comes meanwhile', async () => {
    const c = await newCase(kind, ['still arriving', 'next mail']);
    try {
      // The default patience (a minute): four passes in well under a second without the body, then it comes.
      const sync = c.sync({});
      const withheldAt = withholdBodies(sync, (uid) => uid === 1 && withheldAt.length < 4);
      await firstPass(sync);
      expect(withheldAt).toHaveLength(4);
      // On the code before, its third strike kept it without its source and passed it: never logged.
      await expectLoggedOnly(c, sync, ['next mail', 'still arriving']);
    } finally {
      await c.close();
    }
  });

  it('keeps a mail the server never sends a body for without its source once the patience is over', async () => {
    const c = await newCase(kind, ['never sent', 'next mail']);
    try {
      const sync = c.sync({ unansweredPatienceMs: 1_500 });
      const withheldAt = withholdBodies(sync, (uid) => uid === 1);
      await firstPass(sync);
      expect(await texts(c.tdb.db)).toEqual(['next mail']);
      const [row, ...others] = await quarantined(c.tdb.db);
      expect(others).toEqual([]);
      expect(row).toMatchObject({ folder: 'INBOX', uid: 1n, uidValidity: c.uidValidity, resolvedAt: null });
      expect(row.raw.length).toBe(0);
      expect(row.note).toMatch(/^The mail server sent no body for UID 1 in INBOX \d+ times/);
      // Three strikes came within a fraction of a second (on the code before, that kept it); the patience held it.
      expect(withheldAt.length).toBeGreaterThan(3);
      expect(row.createdAt.getTime() - withheldAt[0]).toBeGreaterThanOrEqual(1_500);
      expect(sync.status.counts).toMatchObject({ logged: 1, failed: 1, quarantined: 1 });
    } finally {
      await c.close();
    }
  });
});

describe.each(TEST_DATABASE_KINDS)('a mail kept without its source that the sync logs after all (%s)', (kind) => {
  it('resolves its quarantine row, in this UIDVALIDITY only, and leaves rows kept with their source', async () => {
    const c = await newCase(kind, ['first mail', 'second mail']);
    try {
      await c.client.append(
        'INBOX',
        buildEmail({ from: 'bot@cust-careful.com', subject: 'Out of office', extra: ['Auto-Submitted: auto-replied'] }),
      );
      await c.client.append(
        'INBOX',
        buildEmail({ from: 'd@cust-careful.com', subject: 'Mail 4', body: 'fourth mail' }),
      );
      // Rows an earlier run left, with the repository's own function: UIDs 2 and 3 kept without their source (the
      // server sent nothing for them then), UID 2 of an earlier UIDVALIDITY (another mail), UID 4 kept with it.
      const keep = (uid: number, uidValidity: bigint, raw = Buffer.alloc(0)) =>
        quarantineMail(c.tdb.db, {
          mailbox: c.account.user,
          folder: 'INBOX',
          uid,
          uidValidity,
          raw,
          headers: {},
          error: raw.length > 0 ? 'refused by the database' : 'the mail server sent no body',
          note: 'left by an earlier run',
        });
      await keep(2, c.uidValidity);
      await keep(3, c.uidValidity);
      await keep(2, c.uidValidity - 1n);
      await keep(4, c.uidValidity, Buffer.from('From: d@cust-careful.com\r\n\r\nfourth mail\r\n'));
      // One mail a batch: UID 3 (an auto-reply, skipped by the header rules) is a batch without a transaction.
      const sync = await c.pass({ batchSize: 1 });
      expect(await texts(c.tdb.db)).toEqual(['first mail', 'fourth mail', 'second mail']);
      expect(sync.status.counts).toMatchObject({ logged: 3, skipped: { 'auto-reply': 1 } });
      const rows = (await quarantined(c.tdb.db)).map((r) => ({
        uid: r.uid,
        current: r.uidValidity === c.uidValidity,
        resolved: r.resolvedAt !== null,
      }));
      // On the code before, all four stayed unresolved: `rapport doctor` reported UIDs 2 and 3 for good.
      expect(rows).toEqual([
        { uid: 2n, current: false, resolved: false },
        { uid: 2n, current: true, resolved: true },
        { uid: 3n, current: true, resolved: true },
        { uid: 4n, current: true, resolved: false },
      ]);
    } finally {
      await c.close();
    }
  });
});
