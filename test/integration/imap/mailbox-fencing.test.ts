import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MailboxLock } from '../../../connectors/imap/mailbox-lock.ts';
import { MailboxSync } from '../../../connectors/imap/mailbox-sync.ts';
import { findMailboxCursor } from '../../../src/db/mailbox-cursor.repository.ts';
import { findMailboxFence, raiseMailboxFence } from '../../../src/db/mailbox-fence.repository.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { startPrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { dovecotMailbox } from '../../helpers/dovecot.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { dovecotAndRedis, testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { loggerInto } from '../../helpers/test-process.ts';

// A process frozen (SIGSTOP, a long GC pause, a VM pause) past its mailbox lock's TTL lost the lock, and
// another process took the mailbox over; resumed, it went on writing until its renewal timer noticed (up
// to a third of the TTL): it committed batches and moved the cursor past where the new holder was. The
// lock now issues a fencing token with each acquisition, the new holder stores it in PostgreSQL first,
// and the claim and every cursor save (in each batch's transaction) refuse an older one.

const servers = dovecotAndRedis();

/** A promise and the function that resolves it. */
function gate(): { passed: Promise<void>; open: () => void } {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => (open = resolve));
  return { passed, open };
}

/** Hooks that, after the first commit only, say so and wait for `resume` (the syncer stands still there). */
function pausingAfterFirstCommit(committed: () => void, resume: Promise<void>): PipelineHooks {
  let commits = 0;
  return {
    ...noopPipelineHooks,
    async recordsLogged() {
      if (commits++ > 0) return;
      committed();
      await resume;
    },
  };
}

describe.each(TEST_DATABASE_KINDS)('a syncer frozen past its mailbox lock (%s)', (kind) => {
  it('writes nothing after another syncer took the mailbox over, and stops', async () => {
    const account = await servers.dovecot.addUser();
    const client = await servers.dovecot.client(account);
    for (let i = 1; i <= 6; i++)
      await client.append('INBOX', buildEmail({ from: `p${i}@fence-${i}.example`, subject: `Mail ${i}` }));
    const tdb = await createTestDatabase(kind);
    const mailbox = dovecotMailbox(servers.dovecot, account, { sinceDays: 0, createCompanies: 'all' });
    const key = { mailbox: mailbox.address, folder: 'INBOX' };
    const base = testSyncDeps(tdb.db, servers.redis, { batchSize: 2, backoffMs: { min: 50, max: 200 } });
    const staleLines: string[] = [];
    const staleLogger = loggerInto(staleLines, 'info');
    const staleCommitted = gate();
    const staleFrozen = gate();
    // Renewed every 10 s: the whole test runs inside the window where it has not noticed the loss yet.
    const stale = new MailboxSync(mailbox, {
      ...base,
      lockTtlMs: 30_000,
      logger: staleLogger,
      hooks: pausingAfterFirstCommit(staleCommitted.open, staleFrozen.passed),
    });
    const newCommitted = gate();
    const newPaused = gate();
    const holder = new MailboxSync(mailbox, {
      ...base,
      hooks: pausingAfterFirstCommit(newCommitted.open, newPaused.passed),
    });
    const messages = async () =>
      (
        await tdb.db.prisma.communicationRecord.findMany({ select: { subject: true }, orderBy: { subject: 'asc' } })
      ).map((r) => r.subject);
    const inFlight = () =>
      tdb.db.sql.query<{ run: string | null; deaths: number }>(
        'SELECT run, deaths FROM "MailboxInFlight" WHERE mailbox = $1',
        [key.mailbox],
      );
    try {
      stale.start();
      // Mails 1-2 logged and the cursor at 2; the stale syncer stands still before its next batch, its lock
      // check passed, the batch after it read ahead.
      await staleCommitted.passed;
      const staleFence = await findMailboxFence(tdb.db.sql, key.mailbox);
      expect((await findMailboxCursor(tdb.db.sql, key))?.lastUid).toBe(2);
      // Its lock runs out while it stands still, and another syncer takes the mailbox over: it finds the
      // stale one's claim (careful, one mail at a time) and stands still after logging mail 3.
      await servers.redis.del(`${base.lockPrefix}:imap-lock:${mailbox.address.toLowerCase()}`);
      holder.start();
      await newCommitted.passed;
      expect(holder.status.holdsLock).toBe(true);
      expect(await findMailboxFence(tdb.db.sql, key.mailbox)).toBeGreaterThan(staleFence!);
      expect(await messages()).toEqual(['Mail 1', 'Mail 2', 'Mail 3']);
      expect((await findMailboxCursor(tdb.db.sql, key))?.lastUid).toBe(3);
      const claim = await inFlight();
      expect(claim).toEqual([{ run: expect.any(String), deaths: 0 }]);

      // The stale syncer resumes: its lock check passed before it stood still, and its renewal has not run.
      staleFrozen.open();
      await waitFor(async () => !stale.status.holdsLock, 20_000, 'the stale syncer to stop');
      await waitFor(async () => stale.status.state === 'standby', 20_000, 'the stale syncer to stand by');
      // Nothing of its batch (mails 3-4) was written, nor any later one: the cursor is the new holder's,
      // and so is the claim, with no death counted.
      expect(await messages()).toEqual(['Mail 1', 'Mail 2', 'Mail 3']);
      expect((await findMailboxCursor(tdb.db.sql, key))?.lastUid).toBe(3);
      expect(await inFlight()).toEqual(claim);
      expect(stale.status.counts.logged).toBe(2);
      expect(staleLines.join('')).toContain('another process took the mailbox over');
      expect(staleLines.join('')).toContain('nothing of it was written');

      // The new holder goes on from its own place and logs the rest.
      newPaused.open();
      await waitFor(async () => (await messages()).length === 6, 20_000, 'the rest logged by the new holder');
      await waitFor(
        async () => (await findMailboxCursor(tdb.db.sql, key))?.lastUid === 6,
        20_000,
        'the cursor at the end',
      );
      expect(await messages()).toEqual(['Mail 1', 'Mail 2', 'Mail 3', 'Mail 4', 'Mail 5', 'Mail 6']);
      expect(holder.status.holdsLock).toBe(true);
      expect(stale.status.holdsLock).toBe(false);
      expect((await inFlight()).map((r) => r.deaths)).toEqual([0]);
    } finally {
      staleFrozen.open();
      newPaused.open();
      await Promise.all([stale.stop(), holder.stop()]);
      await client.logout().catch(() => undefined);
      await tdb.dispose();
    }
  }, 120_000);
});

describe.each(TEST_DATABASE_KINDS)('a batch cut short by a failed mail, after a takeover (%s)', (kind) => {
  // A mail that fails to be written cuts its batch short: the mails before it are written in a transaction
  // of their own that carries no cursor save (the cursor cannot pass the failed mail), so the token is
  // checked there on its own. This takes that path with a stale token.
  it('writes nothing of the mails before the failed one', async () => {
    const account = await servers.dovecot.addUser();
    const client = await servers.dovecot.client(account);
    const tdb = await createTestDatabase(kind);
    // Every write of the POISON mail is refused (a real refusal: a trigger); the sequence counts the tries.
    await tdb.db.sql.exec(`
      CREATE SEQUENCE poison_tries;
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.text LIKE '%POISON%' THEN PERFORM nextval('poison_tries'); RAISE EXCEPTION 'poison refused by the test'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
    for (let i = 1; i <= 5; i++)
      await client.append(
        'INBOX',
        buildEmail({ from: `p${i}@cut-${i}.example`, subject: `Mail ${i}`, body: i === 4 ? 'POISON' : 'fine' }),
      );
    const mailbox = dovecotMailbox(servers.dovecot, account, { sinceDays: 0, createCompanies: 'all' });
    const key = { mailbox: mailbox.address, folder: 'INBOX' };
    const staleLines: string[] = [];
    const staleLogger = loggerInto(staleLines, 'info');
    const committed = gate();
    const frozen = gate();
    // Batches of two: [1, 2] commits, then [3, POISON 4] is cut short to [3]. Renewed every 10 s: the test
    // runs inside the window where the syncer has not noticed the takeover.
    const base = testSyncDeps(tdb.db, servers.redis, { batchSize: 2, backoffMs: { min: 50, max: 200 } });
    const stale = new MailboxSync(mailbox, {
      ...base,
      lockTtlMs: 30_000,
      logger: staleLogger,
      hooks: pausingAfterFirstCommit(committed.open, frozen.passed),
    });
    // The process that takes the mailbox over: it takes the lock and stores its token, and reads nothing.
    const takeover = new MailboxLock(servers.redis, mailbox.address, { prefix: base.lockPrefix, ttlMs: 30_000 });
    const subjects = async () =>
      (
        await tdb.db.prisma.communicationRecord.findMany({ select: { subject: true }, orderBy: { subject: 'asc' } })
      ).map((r) => r.subject);
    const poisonTries = async () =>
      Number(
        (
          await tdb.db.sql.query<{ n: string }>(
            'SELECT (CASE WHEN is_called THEN last_value ELSE 0 END)::text AS n FROM poison_tries',
          )
        )[0].n,
      );
    try {
      stale.start();
      await committed.passed;
      expect(await subjects()).toEqual(['Mail 1', 'Mail 2']);
      expect((await findMailboxCursor(tdb.db.sql, key))?.lastUid).toBe(2);
      // Its lock runs out while it stands still; the other process takes the mailbox over.
      await servers.redis.del(`${base.lockPrefix}:imap-lock:${mailbox.address.toLowerCase()}`);
      expect(await takeover.tryAcquire()).toBe(true);
      await raiseMailboxFence(tdb.db.sql, mailbox.address, takeover.fence!);

      // The stale syncer goes on: the POISON mail's write fails, and the mail before it (3) is written in a
      // transaction of its own, whose check of the token refuses it.
      frozen.open();
      await waitFor(async () => !stale.status.holdsLock, 20_000, 'the stale syncer to stop');
      expect(await poisonTries()).toBeGreaterThan(0);
      // Nothing of that transaction was committed (without the check, Mail 3 was).
      expect(await subjects()).toEqual(['Mail 1', 'Mail 2']);
      expect((await findMailboxCursor(tdb.db.sql, key))?.lastUid).toBe(2);
      expect(await tdb.db.prisma.mailQuarantine.count()).toBe(0);
      expect(stale.status.counts).toMatchObject({ logged: 2, failed: 0, quarantined: 0 });
      expect(staleLines.join('')).toContain('nothing of it was written');
      expect(await findMailboxFence(tdb.db.sql, mailbox.address)).toBe(takeover.fence);
    } finally {
      frozen.open();
      await stale.stop();
      await takeover.release();
      await client.logout().catch(() => undefined);
      await tdb.dispose();
    }
  }, 120_000);
});

describe('the fencing token after Redis lost every key (FLUSHALL)', () => {
  it('is still above the one stored in PostgreSQL, so the sync goes on', async () => {
    // FLUSHALL needs a Redis of its own: the shared one serves the other test files.
    const dir = mkdtempSync(join(tmpdir(), 'rapport-imap-fence-'));
    const privateRedis = await startPrivateRedis(dir);
    const redis = connectRedis(privateRedis.url);
    const account = await servers.dovecot.addUser();
    const client = await servers.dovecot.client(account);
    const tdb = await createTestDatabase('postgres');
    const mailbox = dovecotMailbox(servers.dovecot, account, { sinceDays: 0, createCompanies: 'all', pollSeconds: 1 });
    const sync = new MailboxSync(mailbox, testSyncDeps(tdb.db, redis, { backoffMs: { min: 50, max: 200 } }));
    const count = () => tdb.db.prisma.communicationRecord.count();
    try {
      await client.append('INBOX', buildEmail({ from: 'ann@flush-one.example', subject: 'Before' }));
      sync.start();
      await waitFor(async () => (await count()) === 1, 20_000, 'the mail before FLUSHALL');
      const before = await findMailboxFence(tdb.db.sql, mailbox.address);
      expect(before).not.toBeNull();

      await redis.flushall();
      // The lock and the fence counter are gone: the syncer's renewal finds the lock no longer its own, it
      // takes it again with a token above the stored one (Redis's clock), and the sync goes on.
      await waitFor(
        async () => ((await findMailboxFence(tdb.db.sql, mailbox.address)) ?? 0n) > before!,
        20_000,
        'a new acquisition stored',
      );
      await client.append('INBOX', buildEmail({ from: 'bob@flush-two.example', subject: 'After' }));
      await waitFor(async () => (await count()) === 2, 20_000, 'the mail after FLUSHALL');
      expect(sync.status.holdsLock).toBe(true);
    } finally {
      await sync.stop();
      await client.logout().catch(() => undefined);
      await tdb.dispose();
      redis.disconnect();
      await privateRedis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the fencing token when Redis lost its count and its clock is behind the database', () => {
  it('starts above the stored token at the next try, not once the clock catches up', async () => {
    const account = await servers.dovecot.addUser();
    const client = await servers.dovecot.client(account);
    const tdb = await createTestDatabase('pglite');
    const redis = servers.redis;
    const mailbox = dovecotMailbox(servers.dovecot, account, { sinceDays: 0, createCompanies: 'all', pollSeconds: 1 });
    // An acquisition an hour ahead of Redis's clock was stored (a Redis since replaced by one whose clock is
    // behind, without the last token issued).
    const ahead = BigInt(Date.now() + 3_600_000);
    await raiseMailboxFence(tdb.db.sql, mailbox.address, ahead);
    const sync = new MailboxSync(mailbox, testSyncDeps(tdb.db, redis));
    try {
      await client.append('INBOX', buildEmail({ from: 'ann@behind.example', subject: 'Waiting' }));
      sync.start();
      // On the code before, refused at every try for an hour.
      await waitFor(async () => (await tdb.db.prisma.communicationRecord.count()) === 1, 20_000, 'the mail logged');
      expect(await findMailboxFence(tdb.db.sql, mailbox.address)).toBe(ahead + 1n);
      expect(sync.status.holdsLock).toBe(true);
    } finally {
      await sync.stop();
      await client.logout().catch(() => undefined);
      await tdb.dispose();
    }
  }, 60_000);
});
