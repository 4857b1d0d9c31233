import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { MailboxSync, type MailboxSyncDeps } from '../../../connectors/imap/mailbox-sync.ts';
import type { MailboxConfig } from '../../../src/config/env.ts';
import { createLogger } from '../../../src/logger.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { dovecotMailbox, startDovecot, type DovecotServer } from '../../helpers/dovecot.ts';
import { testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const _logger = createLogger('silent');
let dovecot: DovecotServer;
let pollingDovecot: DovecotServer;
let strictDovecot: DovecotServer;
const redises: Redis[] = [];

beforeAll(async () => {
  [dovecot, pollingDovecot, strictDovecot] = await Promise.all([
    startDovecot(),
    startDovecot({ idle: false }),
    startDovecot({ maxLineLength: 1_000 }),
  ]);
});
afterAll(async () => {
  for (const r of redises) r.disconnect();
  await Promise.all([dovecot?.stop(), pollingDovecot?.stop(), strictDovecot?.stop()]);
});

/** Records every recordLogged call, to prove each message reaches the pipeline exactly once. */
function recordingHooks(): PipelineHooks & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async recordLogged(_r, m) {
      calls.push(m);
    },
    async followUpChanged() {},
  };
}

/** Hooks passing to `hooks` that also note how many emails each transaction committed. */
function committing(hooks: ReturnType<typeof recordingHooks>): { commits: number[]; hooks: PipelineHooks } {
  const commits: number[] = [];
  return {
    commits,
    hooks: {
      ...hooks,
      async recordsLogged(logged) {
        commits.push(logged.length);
        for (const l of logged) await hooks.recordLogged(l.recordId, l.messageId);
      },
    },
  };
}

async function setup(kind: 'pglite' | 'postgres', server = dovecot, overrides: Partial<MailboxConfig> = {}) {
  const account = await server.addUser();
  // These tests are about the sync itself: every first sender makes its company, as before the policy.
  const mailbox = dovecotMailbox(server, account, { createCompanies: 'all', ...overrides });
  const tdb: TestDatabase = await createTestDatabase(kind);
  const redis = connectRedis('redis://127.0.0.1:6379');
  redises.push(redis);
  const hooks = recordingHooks();
  const deps = testSyncDeps(tdb.db, redis, { hooks, backoffMs: { min: 100, max: 1000 } });
  const client = await server.client(account);
  const syncs: MailboxSync[] = [];
  const newSync = (extra: Partial<MailboxSyncDeps> = {}) => {
    const s = new MailboxSync(mailbox, { ...deps, ...extra });
    syncs.push(s);
    s.start();
    return s;
  };
  const messages = () => tdb.db.prisma.message.findMany({ orderBy: { sentAt: 'asc' } });
  const dispose = async () => {
    await Promise.all(syncs.map((s) => s.stop()));
    await client.logout().catch(() => undefined);
    await tdb.dispose();
  };
  const mailDir = () => server.mailDir(account.user);
  return { account, mailbox, tdb, db: tdb.db, hooks, deps, client, newSync, messages, dispose, mailDir };
}

describe.each(TEST_DATABASE_KINDS)('IMAP mailbox sync on %s', (kind) => {
  it("logs a new message noticed by IDLE as a record of the sender's company", async () => {
    const t = await setup(kind);
    try {
      const sync = t.newSync();
      await waitFor(async () => sync.status.state === 'watching', 10_000, 'first sync');
      expect(sync.status.mode).toBe('idle');
      await t.client.append(
        'INBOX',
        buildEmail({
          from: 'Jo Doe <jo@acme-corp.com>',
          subject: 'Broken export',
          body: 'Export fails.\n\nOn Mon, Jo wrote:\n> old',
        }),
      );
      const [msg] = await waitFor(
        async () => {
          const m = await t.messages();
          return m.length > 0 && m;
        },
        // Well before the next poll (pollSeconds 30 from the first sync): only IDLE can have brought it.
        // No tighter bound: a test asserts no timing (bench:imap measures IDLE latency).
        20_000,
        'message via IDLE',
      );
      expect(msg.direction).toBe('inbound');
      expect(msg.cleanText).toBe('Export fails.');
      const record = await t.db.prisma.communicationRecord.findUniqueOrThrow({
        where: { id: msg.recordId },
        include: { company: true },
      });
      expect(record.channelKind).toBe('email');
      expect(record.company?.domains).toEqual(['acme-corp.com']);
      expect(record.company?.name).toBe('Acme Corp');
      expect(t.hooks.calls).toEqual([msg.id]);
    } finally {
      await t.dispose();
    }
  });

  it('falls back to polling when the server has no IDLE', async () => {
    const t = await setup(kind, pollingDovecot, { pollSeconds: 1 });
    try {
      const sync = t.newSync();
      await waitFor(async () => sync.status.state === 'watching', 10_000, 'first sync');
      expect(sync.status.mode).toBe('poll');
      await t.client.append('INBOX', buildEmail({ from: 'ann@globex.com' }));
      await waitFor(async () => (await t.messages()).length === 1, 5000, 'message via polling');
    } finally {
      await t.dispose();
    }
  });

  it('joins a thread of three replies into one record, by headers and by subject', async () => {
    const t = await setup(kind);
    // A Date header has whole seconds: four mails written in one second would tie on sentAt and come back in
    // any order. A minute apart, as a real thread is.
    const at = (minute: number) => new Date(Date.now() - (10 - minute) * 60_000);
    try {
      await t.client.append(
        'INBOX',
        buildEmail({
          from: 'jo@initech.com',
          messageId: 'root@initech.com',
          subject: 'TPS report format',
          date: at(0),
        }),
      );
      await t.client.append(
        'INBOX',
        buildEmail({
          from: 'Support <help@support.example>',
          to: 'jo@initech.com',
          messageId: 'r1@support.example',
          date: at(1),
          inReplyTo: 'root@initech.com',
          references: ['root@initech.com'],
          subject: 'Re: TPS report format',
        }),
      );
      await t.client.append(
        'INBOX',
        buildEmail({
          from: 'jo@initech.com',
          messageId: 'r2@initech.com',
          date: at(2),
          inReplyTo: 'r1@support.example',
          references: ['root@initech.com', 'r1@support.example'],
          subject: 'RE: TPS report format',
        }),
      );
      // A client that dropped the headers: joins by subject + participant.
      await t.client.append(
        'INBOX',
        buildEmail({
          from: 'jo@initech.com',
          messageId: 'r3@initech.com',
          subject: 'AW: Re: TPS report format',
          date: at(3),
        }),
      );
      t.newSync();
      const msgs = await waitFor(
        async () => {
          const m = await t.messages();
          return m.length === 4 && m;
        },
        10_000,
        '4 messages',
      );
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(1);
      expect(msgs.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound', 'inbound']);
      const record = await t.db.prisma.communicationRecord.findUniqueOrThrow({ where: { id: msgs[0].recordId } });
      expect(record.sourceKey).toBe('email:<root@initech.com>');
      expect(record.threadingNote).toContain('joined by subject "tps report format"');
    } finally {
      await t.dispose();
    }
  });

  it('leaves flags alone by default and sets \\Seen only with IMAP_MARK_SEEN', async () => {
    for (const markSeen of [false, true]) {
      const t = await setup(kind, dovecot, { markSeen });
      try {
        await t.client.append(
          'INBOX',
          buildEmail({ from: 'Jo Doe <jo@flags-corp.com>', subject: `Flags ${markSeen}` }),
        );
        const sync = t.newSync();
        await waitFor(async () => (await t.messages()).length === 1, 10_000, 'the message');
        await sync.stop();
        await t.client.mailboxOpen('INBOX');
        const msg = await t.client.fetchOne('1', { flags: true }, { uid: true });
        expect(msg !== false && msg.flags?.has('\\Seen') === true).toBe(markSeen);
      } finally {
        await t.dispose();
      }
    }
  });

  it('loses and doubles nothing when stopped in the middle of a sync and started again', async () => {
    const t = await setup(kind);
    try {
      for (let i = 0; i < 12; i++)
        await t.client.append('INBOX', buildEmail({ from: `c${i}@customer${i}.com`, subject: `Case ${i}` }));
      // Hold the first sync inside its first batch (the hook runs after each commit), stop it there.
      let release = () => {};
      const gate = new Promise<void>((r) => (release = r));
      const gated: PipelineHooks = {
        ...t.hooks,
        async recordLogged(r, m) {
          await t.hooks.recordLogged(r, m);
          if (t.hooks.calls.length === 3) await gate;
        },
      };
      const first = t.newSync({ batchSize: 3, hooks: gated });
      await waitFor(async () => t.hooks.calls.length >= 3, 10_000, 'first batch');
      const stopping = first.stop();
      release();
      await stopping;
      const afterStop = (await t.messages()).length;
      expect(afterStop).toBeLessThan(12);
      t.newSync({ batchSize: 3 });
      await waitFor(async () => (await t.messages()).length === 12, 10_000, 'all 12');
      await new Promise((r) => setTimeout(r, 300));
      expect((await t.messages()).length).toBe(12);
      expect(new Set(t.hooks.calls).size).toBe(12);
      expect(t.hooks.calls.length).toBe(12);
      const cursor = await t.db.prisma.mailboxCursor.findFirstOrThrow();
      expect(cursor.lastUid).toBe(12n);
    } finally {
      await t.dispose();
    }
  });

  it('holds at most batchBytes of mail per batch: big mails go a few at a time, one over the bound alone', async () => {
    const t = await setup(kind);
    try {
      // A line of 76 characters: 1.2 MB and 3.5 MB bodies, in UID order after ten small mails and before three.
      const body = (mb: number) =>
        'x'
          .repeat(74)
          .concat('\r\n')
          .repeat(Math.round((mb * 1024 * 1024) / 76));
      const small = (i: number) => buildEmail({ from: `c${i}@customer${i}.com`, subject: `Case ${i}` });
      const mails = [
        ...Array.from({ length: 10 }, (_, i) => small(i)),
        ...Array.from({ length: 5 }, (_, i) =>
          buildEmail({ from: `big${i}@bigcorp.com`, subject: `Logs ${i}`, body: body(1.2) }),
        ),
        buildEmail({ from: 'huge@bigcorp.com', subject: 'Dump', body: body(3.5) }),
        ...Array.from({ length: 3 }, (_, i) => small(10 + i)),
      ];
      for (const m of mails) await t.client.append('INBOX', m);
      const { commits, hooks } = committing(t.hooks);
      // The helper's 1.5 s lock is for the takeover tests: writing a 3.5 MB mail into the embedded
      // database on a loaded machine can hold the thread longer, the lock lapses and the sync stops
      // mid-way to take it again (the batches seen were 12, 2, 1).
      const sync = t.newSync({ hooks, batchBytes: 3 * 1024 * 1024, lockTtlMs: 30_000 });
      await waitFor(async () => sync.status.state === 'watching' && sync.status.lastSyncAt, 30_000, 'first sync');
      // 10 small + two 1.2 MB (2.4 MB), two more, the fifth (a sixth 1.2 MB would pass 3 MB), the 3.5 MB
      // one alone, the last three: by count alone (100) it was one batch of 19 holding 9.5 MB.
      expect(commits).toEqual([12, 2, 1, 1, 3]);
      expect((await t.messages()).length).toBe(19);
      expect(new Set(t.hooks.calls).size).toBe(19);
      const cursor = await t.db.prisma.mailboxCursor.findFirstOrThrow();
      expect(cursor.lastUid).toBe(19n);
    } finally {
      await t.dispose();
    }
  });

  it('reads the sizes of a whole folder a page at a time, gaps in the UIDs included', async () => {
    // IMAP_SINCE_DAYS=0: a first sync of the whole folder; UIDs 3 and 9 expunged before it.
    const t = await setup(kind, dovecot, { sinceDays: 0 });
    try {
      for (let i = 1; i <= 22; i++)
        await t.client.append('INBOX', buildEmail({ from: `c${i}@customer${i}.com`, subject: `Case ${i}` }));
      await t.client.mailboxOpen('INBOX');
      await t.client.messageDelete('3,9', { uid: true });
      const { commits, hooks } = committing(t.hooks);
      const sync = t.newSync({ hooks, batchSize: 3, listPageSize: 7 });
      await waitFor(async () => sync.status.state === 'watching' && sync.status.lastSyncAt, 30_000, 'first sync');
      // Pages of 7 UIDs (1-8 without 3, 10-16, 17-22), each cut into batches of 3: a batch never reaches
      // into the next page. Listed all at once, they were batches of 3 across the folder: 3,3,3,3,3,3,2.
      expect(commits).toEqual([3, 3, 1, 3, 3, 1, 3, 3]);
      expect((await t.messages()).length).toBe(20);
      const subjects = (await t.db.prisma.communicationRecord.findMany()).map((r) => r.subject);
      expect(subjects).toHaveLength(20);
      expect(subjects).toContain('Case 22');
      expect(subjects).not.toContain('Case 3');
      expect(subjects).not.toContain('Case 9');
      expect(new Set(t.hooks.calls).size).toBe(20);
      expect((await t.db.prisma.mailboxCursor.findFirstOrThrow()).lastUid).toBe(22n);
      // New mail after the cursor: listed from it, one page.
      await t.client.append('INBOX', buildEmail({ from: 'c23@customer23.com', subject: 'Case 23' }));
      await waitFor(async () => (await t.messages()).length === 21, 10_000, 'mail 23');
      expect(commits.at(-1)).toBe(1);
      expect((await t.db.prisma.mailboxCursor.findFirstOrThrow()).lastUid).toBe(23n);
    } finally {
      await t.dispose();
    }
  });

  it("asks for the sizes of scattered UIDs within a strict server's command-line limit", async () => {
    // A server that takes command lines of 1,000 bytes (RFC 2683 asks for 8,000; Exchange and UW IMAP cut
    // near 10,000), 800 mails of which every other one was deleted: 400 scattered UIDs listed as
    // "1,3,5,…,799" make a FETCH of some 1,500 bytes.
    const t = await setup(kind, strictDovecot, { sinceDays: 30 });
    try {
      for (let i = 1; i <= 800; i++)
        await t.client.append('INBOX', buildEmail({ from: `c${i % 7}@scattered${i % 7}.com`, subject: `Case ${i}` }));
      await t.client.mailboxOpen('INBOX');
      // A hundred at a time: the test's own command must fit the limit too.
      for (let from = 2; from <= 800; from += 200)
        await t.client.messageDelete(Array.from({ length: 100 }, (_, k) => from + 2 * k).join(','), { uid: true });
      const sync = t.newSync();
      await waitFor(async () => sync.status.state === 'watching' && sync.status.lastSyncAt, 60_000, 'first sync');
      expect(sync.status.lastError).toBeUndefined();
      expect((await t.messages()).length).toBe(400);
      expect((await t.db.prisma.mailboxCursor.findFirstOrThrow()).lastUid).toBe(799n);
    } finally {
      await t.dispose();
    }
  }, 120_000);

  it('resyncs after a UIDVALIDITY change without duplicating messages', async () => {
    const t = await setup(kind);
    try {
      for (let i = 0; i < 3; i++)
        await t.client.append('INBOX', buildEmail({ from: `jo@umbrella.com`, subject: `Order ${i}` }));
      const first = t.newSync();
      await waitFor(async () => (await t.messages()).length === 3, 10_000, '3 messages');
      await first.stop();
      await t.client.logout();
      const before = await t.db.prisma.mailboxCursor.findFirstOrThrow();
      await new Promise((r) => setTimeout(r, 1100)); // Dovecot derives UIDVALIDITY from the clock
      const dir = t.mailDir();
      for (const f of await readdir(dir)) if (f.startsWith('dovecot')) await rm(join(dir, f), { force: true });
      const c2 = await dovecot.client(t.account);
      await c2.append('INBOX', buildEmail({ from: 'jo@umbrella.com', subject: 'Order 3' }));
      await c2.logout();
      const second = t.newSync();
      await waitFor(async () => (await t.messages()).length === 4, 10_000, '4 messages');
      await waitFor(async () => second.status.state === 'watching', 10_000, 'resync done');
      expect(second.status.counts.duplicates).toBe(3);
      const after = await t.db.prisma.mailboxCursor.findFirstOrThrow();
      expect(after.uidValidity).not.toBe(before.uidValidity);
      expect(t.hooks.calls.length).toBe(4);
    } finally {
      await t.dispose();
    }
  });

  it('logs each message once with two syncers on one mailbox, and the standby takes over when the holder dies', async () => {
    const t = await setup(kind);
    const second =
      kind === 'postgres'
        ? await (await import('../../../src/db/open-database.ts')).openDatabase({
            databaseUrl: t.tdb.url,
            migrate: false,
          })
        : t.db;
    const redis2 = connectRedis('redis://127.0.0.1:6379');
    redises.push(redis2);
    try {
      for (let i = 0; i < 10; i++) await t.client.append('INBOX', buildEmail({ from: `p${i}@hooli.com` }));
      const a = t.newSync({ batchSize: 2 });
      const b = t.newSync({ db: second, redis: redis2, batchSize: 2 });
      await waitFor(async () => (await t.messages()).length === 10, 10_000, '10 messages');
      expect([a.status.holdsLock, b.status.holdsLock].filter(Boolean).length).toBe(1);
      const [holder, standby] = a.status.holdsLock ? [a, b] : [b, a];
      expect(standby.status.state).toBe('standby');
      expect(t.hooks.calls.length).toBe(10);
      await holder.abandon();
      await t.client.append('INBOX', buildEmail({ from: 'late@hooli.com' }));
      // Taken over once the holder's lock expires (lockTtlMs 1.5 s), well before the 30 s poll; no timing
      // asserted (a busy CI machine stretches it).
      await waitFor(async () => (await t.messages()).length === 11, 20_000, 'takeover');
      expect(standby.status.holdsLock).toBe(true);
      expect(t.hooks.calls.length).toBe(11);
    } finally {
      await t.dispose();
      if (second !== t.db) await second.close();
    }
  });
});
