import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { MailboxSync } from '../../../connectors/imap/mailbox-sync.ts';
import { imapDoctorCheck } from '../../../connectors/imap/imap.doctor.ts';
import { mailboxReadiness } from '../../../connectors/imap/mailbox-readiness.ts';
import { loadConfig, type Config } from '../../../src/config/env.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { dovecotMailbox, startDovecot, type DovecotServer } from '../../helpers/dovecot.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { createTestDatabase } from '../../helpers/test-database.ts';

// With IMAP_CREATE_COMPANIES=answered (the default) a sender becomes a customer when we answer, and our
// answers are in the Sent folder. IMAP_FOLDERS used to default to INBOX alone: a support inbox set up
// with nothing but host, user and password logged every customer as "unconfirmed" and suggested
// nothing. The default is now INBOX and `\Sent`, the server's Sent folder under whatever name it has.

const SUPPORT = 'support@support.example';
let plain: DovecotServer;
let flagged: DovecotServer;
let redis: Redis;
beforeAll(async () => {
  // Dovecot without SPECIAL-USE flags (found by name), and one whose Sent folder has a name no
  // heuristic knows but carries the RFC 6154 flag, as Exchange and Gmail send it.
  [plain, flagged] = await Promise.all([startDovecot(), startDovecot({ specialUse: { 'Outgoing-2026': '\\Sent' } })]);
  redis = connectRedis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  redis?.disconnect();
  await Promise.all([plain?.stop(), flagged?.stop()]);
});

/** The folders a mailbox configured with host, user and password only syncs. */
const defaultFolders = () =>
  loadConfig({ IMAP_HOST: 'imap.example', IMAP_USER: SUPPORT, IMAP_PASSWORD: 'x' }).imap[0].folders;

/** A question in INBOX and, in `sentFolder`, our answer to it. */
async function questionAndAnswer(server: DovecotServer, sentFolder: string | undefined) {
  // A mailbox of its own per test (same domain: our answers are from support.example).
  const account = await server.addUser(`support-${randomBytes(3).toString('hex')}@support.example`);
  const c = await server.client(account);
  await c.append(
    'INBOX',
    buildEmail({ from: 'Jo <jo@acme-corp.com>', messageId: 'q1@acme-corp.com', subject: 'Export broken' }),
  );
  if (sentFolder) {
    if (!(await c.list()).some((f) => f.path === sentFolder)) await c.mailboxCreate(sentFolder);
    await c.append(
      sentFolder,
      buildEmail({
        from: `Support <${SUPPORT}>`,
        to: 'jo@acme-corp.com',
        inReplyTo: 'q1@acme-corp.com',
        references: ['q1@acme-corp.com'],
        subject: 'Re: Export broken',
      }),
    );
  }
  await c.logout();
  return account;
}

/** One sync of `folders` until `messages` are logged from `cursors` folders. */
async function syncOnce(
  server: DovecotServer,
  account: { user: string; password?: string },
  folders: string[],
  until: { messages: number; cursors: number },
) {
  const tdb = await createTestDatabase('pglite');
  const sync = new MailboxSync(dovecotMailbox(server, account, { folders }), testSyncDeps(tdb.db, redis));
  try {
    sync.start();
    await waitFor(
      async () =>
        (await tdb.db.prisma.message.count()) === until.messages &&
        (await tdb.db.prisma.mailboxCursor.count()) === until.cursors &&
        // Every special-use entry looked up (found or not), so the /readyz line is the settled one.
        folders.every((f) => !f.startsWith('\\') || sync.status.resolvedFolders[f] || sync.status.skippedFolders[f]),
      20_000,
      'the first sync',
    );
    return {
      status: sync.status,
      readyz: (await mailboxReadiness(sync).check()).detail,
      companies: (await tdb.db.prisma.company.findMany()).map((co) => co.name),
      cursors: (await tdb.db.prisma.mailboxCursor.findMany({ orderBy: { folder: 'asc' } })).map((x) => x.folder),
    };
  } finally {
    await sync.stop();
    await tdb.dispose();
  }
}

describe('the Sent folder is synced by default (IMAP_FOLDERS=INBOX,\\Sent)', () => {
  it('found by its name ("Sent Items"): our answer makes the sender a customer with no IMAP_FOLDERS set', async () => {
    expect(defaultFolders()).toEqual(['INBOX', '\\Sent']);
    const account = await questionAndAnswer(plain, 'Sent Items');
    const run = await syncOnce(plain, account, defaultFolders(), { messages: 2, cursors: 2 });
    expect(run.status.resolvedFolders).toEqual({ '\\Sent': 'Sent Items' });
    expect(run.cursors).toEqual(['INBOX', 'Sent Items']);
    // The /readyz line names the folder found.
    expect(run.readyz).toMatch(/^watching \(idle\); folders INBOX, Sent Items \(\\Sent\); last sync \S+; logged 2$/);
    expect(run.companies).toEqual(['Acme Corp']);
  });

  it('found by its RFC 6154 \\Sent flag whatever its name', async () => {
    const account = await questionAndAnswer(flagged, 'Outgoing-2026');
    const run = await syncOnce(flagged, account, defaultFolders(), { messages: 2, cursors: 2 });
    expect(run.status.resolvedFolders).toEqual({ '\\Sent': 'Outgoing-2026' });
    expect(run.companies).toEqual(['Acme Corp']);
    // rapport doctor says which folder it is.
    const doctor = await imapDoctorCheck({
      imap: [dovecotMailbox(flagged, account, { folders: defaultFolders() })],
    } as unknown as Config);
    expect(doctor.detail).toBe(`${account.user}: login ok, IDLE, INBOX 1 messages, Outgoing-2026 (\\Sent) 1 messages`);
  });

  it('a server without a Sent folder: INBOX is synced and the status says why \\Sent is not', async () => {
    const account = await questionAndAnswer(plain, undefined);
    const run = await syncOnce(plain, account, defaultFolders(), { messages: 1, cursors: 1 });
    expect(run.cursors).toEqual(['INBOX']);
    expect(run.status.skippedFolders).toEqual({
      '\\Sent': 'the server has no Sent folder (none flagged \\Sent or named like one); name it in IMAP_FOLDERS',
    });
    expect(run.readyz).toMatch(
      /; folders INBOX \(not synced: \\Sent: the server has no Sent folder \(none flagged \\Sent or named like one\); name it in IMAP_FOLDERS\);/,
    );
    // Unanswered: logged, not a customer.
    expect(run.companies).toEqual([]);
    const doctor = await imapDoctorCheck({
      imap: [dovecotMailbox(plain, account, { folders: defaultFolders() })],
    } as unknown as Config);
    expect(doctor).toMatchObject({ ok: true });
    expect(doctor.detail).toContain('INBOX 1 messages, \\Sent not synced (the server has no Sent folder');
  });

  it('\\Sent naming a folder IMAP_FOLDERS also lists is synced once', async () => {
    const account = await questionAndAnswer(plain, 'Sent');
    const run = await syncOnce(plain, account, ['INBOX', 'Sent', '\\Sent'], { messages: 2, cursors: 2 });
    expect(run.cursors).toEqual(['INBOX', 'Sent']);
    expect(run.status.resolvedFolders).toEqual({ '\\Sent': 'Sent' });
    expect(run.readyz).toMatch(/; folders INBOX, Sent; /);
    expect(run.companies).toEqual(['Acme Corp']);
  });
});
