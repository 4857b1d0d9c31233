import { describe, expect, it } from 'vitest';
import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { fetchedBody, hasBody, rowsByUid } from '../../../connectors/imap/fetch-rows.ts';
import { MailboxSync } from '../../../connectors/imap/mailbox-sync.ts';
import { findMailboxCursor } from '../../../src/db/mailbox-cursor.repository.ts';
import { killAtHeldWrite } from '../../helpers/kill-at-held-write.ts';
import { dovecotSyncFixture } from '../../helpers/mailbox-sync.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const { setup } = dovecotSyncFixture();

describe.each(TEST_DATABASE_KINDS)('a mail that cannot be kept is not passed over (%s)', (kind) => {
  it('stays before a mail whose write and quarantine both fail, and quarantines it once the database takes it', async () => {
    const t = await setup(kind);
    try {
      // Real refusals (triggers): every write of the poisoned mail, and every quarantine write. The
      // sequence counts the quarantine attempts (nextval is not rolled back with the refused insert).
      await t.db.sql.exec(`
        CREATE SEQUENCE quarantine_refusals;
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.text LIKE '%POISON%' THEN RAISE EXCEPTION 'poison refused by the test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION refuse_poison();
        CREATE FUNCTION refuse_quarantine() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM nextval('quarantine_refusals'); RAISE EXCEPTION 'quarantine refused by the test'; END $$;
        CREATE TRIGGER refuse_quarantine BEFORE INSERT OR UPDATE ON "MailQuarantine" FOR EACH ROW EXECUTE FUNCTION refuse_quarantine();`);
      await t.client.append('INBOX', buildEmail({ from: 'a@okco.com', subject: 'Before', body: 'fine' }));
      await t.client.append('INBOX', buildEmail({ from: 'b@okco.com', subject: 'Poisoned', body: 'POISON here' }));
      await t.client.append('INBOX', buildEmail({ from: 'c@okco.com', subject: 'After', body: 'fine too' }));
      const refusals = async () =>
        Number(
          (
            await t.db.sql.query<{ n: string }>(
              'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM quarantine_refusals',
            )
          )[0].n,
        );
      t.sync.start();
      // A second refused quarantine: the sync came back to the mail instead of passing over it (on the
      // code before, the first refusal passed over it, logged "After" and saved the cursor past both).
      await waitFor(
        async () => (await refusals()) >= 2,
        20_000,
        () => 'the quarantine tried again',
      );
      const key = { mailbox: t.account.user, folder: 'INBOX' };
      expect((await findMailboxCursor(t.db.sql, key))?.lastUid).toBe(1);
      expect(await t.db.prisma.message.count({ where: { text: 'fine too' } })).toBe(0);
      expect(t.sync.status.counts).toMatchObject({ logged: 1, failed: 0, quarantined: 0 });

      // The database takes quarantine writes again: the mail is quarantined, the sync goes on past it.
      await t.db.sql.exec('DROP TRIGGER refuse_quarantine ON "MailQuarantine"');
      await waitFor(
        async () => t.sync.status.counts.logged === 2 && t.sync.status.counts.quarantined === 1,
        20_000,
        () => `quarantined and logged: ${JSON.stringify(t.sync.status.counts)}`,
      );
      const [q] = await t.db.prisma.mailQuarantine.findMany();
      expect(q.uid).toBe(2n);
      expect(q.error).toContain('poison refused by the test');
      expect((q.headers as Record<string, string>).subject).toBe('Poisoned');
      expect(Buffer.from(q.raw).toString()).toContain('POISON here');
      await waitFor(async () => (await findMailboxCursor(t.db.sql, key))?.lastUid === 3, 10_000, 'cursor past all');
      expect(await t.db.prisma.message.count({ where: { text: 'fine too' } })).toBe(1);
    } finally {
      await t.close();
    }
  });
});

describe('a database outage does not quarantine the mail being written', () => {
  it('tries it again from the cursor without a strike each time its connection is cut (PostgreSQL)', async () => {
    const t = await setup('postgres');
    try {
      for (const subject of ['During the failover', 'After it'])
        await t.client.append('INBOX', buildEmail({ from: 'ann@okco.com', subject, body: `body of ${subject}` }));
      // Every write of the first mail waits on a lock, and its connection is cut, ten times over (a try of
      // the sync writes it twice, the batch then the mail alone: five tries, past the three failed tries
      // that quarantine a mail): a failover as the sync sees it.
      await killAtHeldWrite({
        databaseUrl: t.tdb.url!,
        table: 'Message',
        what: 'the sync writing the first mail',
        act: async () => t.sync.start(),
        kill: async () => {},
        terminations: 10,
      });
      await waitFor(
        async () => t.sync.status.counts.logged === 2,
        60_000,
        () => `both logged: ${JSON.stringify(t.sync.status.counts)}`,
      );
      expect(t.sync.status.counts).toMatchObject({ quarantined: 0, failed: 0 });
      expect(await t.db.prisma.mailQuarantine.count()).toBe(0);
      expect(await t.db.prisma.message.count({ where: { text: 'body of During the failover' } })).toBe(1);
    } finally {
      await t.close();
    }
  });
});

type Patchable = { newClient(token: string | undefined): ImapFlow };

describe('a flag change during the fetch does not take the body', () => {
  it('logs a mail another session marks read while the sync fetches it (Dovecot, UID in the flags row)', async () => {
    const t = await setup(TEST_DATABASE_KINDS[0]);
    const other = await t.dovecot.client(t.account);
    try {
      for (const [i, subject] of ['First', 'Marked read', 'Third'].entries())
        await t.client.append('INBOX', buildEmail({ from: `p${i}@okco.com`, subject, body: `body of ${subject}` }));
      await other.mailboxOpen('INBOX');
      const target = 2;
      const rows: FetchMessageObject[] = [];
      let marked = false;
      // Real Dovecot, real imapflow; the test only picks the moment. The sync's connection enables
      // QRESYNC, with which Dovecot (as RFC 7162 asks) puts the UID in the FETCH it sends about another
      // session's flag change; it sends that row at the end of the sync's own body FETCH, after the body.
      (t.sync as unknown as Patchable).newClient = (token) => {
        const c = (MailboxSync.prototype as unknown as Patchable).newClient.call(t.sync, token);
        c.options.qresync = true;
        const fetchAll = c.fetchAll.bind(c);
        c.fetchAll = async (range, query, options) => {
          if (!query.source || marked || !inUidSet(String(range), target)) return fetchAll(range, query, options);
          marked = true;
          await other.messageFlagsAdd(String(target), ['\\Seen'], { uid: true });
          const got = await fetchAll(range, query, options);
          rows.push(...got);
          return got;
        };
        return c;
      };
      t.sync.start();
      await waitFor(async () => t.sync.status.state === 'watching' && t.sync.status.lastSyncAt, 20_000, 'sync');
      // The server really sent a row for the message without its body, after the one with it.
      const forTarget = rows.filter((r) => r.uid === target);
      expect(forTarget.map((r) => Buffer.isBuffer(r.source))).toEqual([true, false]);
      expect(forTarget[1].flags?.has('\\Seen')).toBe(true);
      // On the code before, that row replaced the body: the mail was parsed empty, skipped ("no sender").
      expect(t.sync.status.counts).toMatchObject({ logged: 3, failed: 0, skipped: {} });
      expect(await t.db.prisma.message.count({ where: { text: 'body of Marked read' } })).toBe(1);
    } finally {
      await t.sync.stop();
      await other.logout().catch(() => undefined);
      await t.client.logout().catch(() => undefined);
      await t.tdb.dispose();
    }
  });

  // BODY[] NIL cannot be had from Dovecot; this is imapflow's row for it (`source: false`), given to the
  // function that merges a fetch's rows.
  it('keeps a body row over a later row without one, and counts a UID answered BODY[] NIL as having no body', () => {
    const body = Buffer.from('From: a@okco.com\r\n\r\nhi\r\n');
    const merged = rowsByUid(
      [
        { seq: 1, uid: 1, source: body },
        { seq: 1, uid: 1, flags: new Set(['\\Seen']) },
        { seq: 2, uid: 2, flags: new Set(['\\Seen']) },
        { seq: 2, uid: 2, source: body },
        { seq: 3, uid: 3, source: false as unknown as Buffer },
        { seq: 4, flags: new Set(['\\Seen']) } as FetchMessageObject,
      ] as FetchMessageObject[],
      hasBody,
    );
    expect([...merged.keys()]).toEqual([1, 2, 3]);
    expect(fetchedBody(merged.get(1)!)).toBe(body);
    expect(fetchedBody(merged.get(2)!)).toBe(body);
    expect(fetchedBody(merged.get(3)!)).toBeUndefined();
  });
});

/** Whether an IMAP sequence set of UIDs (`1:3,7`) holds `uid`. */
function inUidSet(set: string, uid: number): boolean {
  return set.split(',').some((part) => {
    const [from, to = from] = part.split(':').map(Number);
    return uid >= from && uid <= to;
  });
}
