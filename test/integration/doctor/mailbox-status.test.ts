import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import { mailboxStatusDoctorCheck } from '../../../app/mailbox-status.doctor.ts';
import { quarantineMail } from '../../../src/db/mail-quarantine.repository.ts';
import { freePort, spawnRapport } from '../../helpers/spawn-rapport.ts';

const dir = mkdtempSync(join(tmpdir(), 'rapport-doctor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rapport doctor: mailbox sync status', () => {
  it("prints each folder's last sync and its last error in words", async () => {
    const config = loadConfig({
      RAPPORT_DATA_DIR: dir,
      IMAP_HOST: 'imap.rapport.test',
      IMAP_USER: 'support@rapport.test',
      IMAP_PASSWORD: 'x',
      IMAP_FOLDERS: 'INBOX,Sent',
    });
    const db = await openDatabase({ dataDir: dir });
    await db.prisma.mailboxCursor.create({
      data: {
        mailbox: 'support@rapport.test',
        folder: 'INBOX',
        uidValidity: 7n,
        lastUid: 42,
        lastSyncAt: new Date('2026-11-22T10:00:00Z'),
        lastError: 'Authentication failed for support@rapport.test: check IMAP_USER and IMAP_PASSWORD.',
      },
    });
    await db.close();
    const result = await mailboxStatusDoctorCheck(config);
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(
      'support@rapport.test/INBOX: last sync 2026-11-22T10:00:00.000Z, up to UID 42; last error: Authentication failed for support@rapport.test: check IMAP_USER and IMAP_PASSWORD.; support@rapport.test/Sent: never synced yet',
    );
  });

  it("names the folder \\Sent (IMAP_FOLDERS's default) was synced as", async () => {
    const sentDir = mkdtempSync(join(tmpdir(), 'rapport-doctor-sent-'));
    try {
      const config = loadConfig({
        RAPPORT_DATA_DIR: sentDir,
        IMAP_HOST: 'imap.rapport.test',
        IMAP_USER: 'support@rapport.test',
        IMAP_PASSWORD: 'x',
      });
      const db = await openDatabase({ dataDir: sentDir });
      for (const folder of ['INBOX', 'Sent Items'])
        await db.prisma.mailboxCursor.create({
          data: {
            mailbox: 'support@rapport.test',
            folder,
            uidValidity: 7n,
            lastUid: 3,
            lastSyncAt: new Date('2026-12-04T10:00:00Z'),
          },
        });
      await db.close();
      const result = await mailboxStatusDoctorCheck(config);
      expect(result.detail).toBe(
        'support@rapport.test/INBOX: last sync 2026-12-04T10:00:00.000Z, up to UID 3; support@rapport.test/Sent Items (\\Sent): last sync 2026-12-04T10:00:00.000Z, up to UID 3',
      );
    } finally {
      rmSync(sentDir, { recursive: true, force: true });
    }
  });

  it('says how much mail waits in quarantine, since when and why, and what to do', async () => {
    // The real `rapport doctor` over two embedded databases: one with no mail kept, one with two.
    const empty = mkdtempSync(join(tmpdir(), 'rapport-doctor-quarantine-'));
    const kept = mkdtempSync(join(tmpdir(), 'rapport-doctor-quarantine-'));
    try {
      await (await openDatabase({ dataDir: empty })).close();
      cpSync(empty, kept, { recursive: true });
      const db = await openDatabase({ dataDir: kept, migrate: false });
      for (const n of [1, 2])
        await quarantineMail(db, {
          mailbox: 'support@rapport.test',
          folder: 'INBOX',
          uid: n,
          raw: Buffer.from(`From: a${n}@acme.com\r\nSubject: ${n}\r\n\r\nhi\r\n`),
          headers: {},
          error: 'value too long\nfor type character varying(500)',
          note: 'kept',
        });
      await db.close();
      // A mailbox is configured (else the check has nothing to read); its server refuses at once.
      const imapPort = String(await freePort());
      const doctor = (dataDir: string) => {
        const proc = spawnRapport(['doctor'], {
          RAPPORT_DATA_DIR: dataDir,
          IMAP_HOST: '127.0.0.1',
          IMAP_PORT: imapPort,
          IMAP_SECURE: 'false',
          IMAP_USER: 'support@rapport.test',
          IMAP_PASSWORD: 'x',
        });
        return proc.exited.then((code) => ({ code, lines: proc.output().split('\n') }));
      };
      const [none, two] = await Promise.all([doctor(empty), doctor(kept)]);
      expect(none.lines).toContain('✔ mail quarantine: no mail waiting: every fetched message was stored');
      expect(two.code).toBe(1);
      const at = two.lines.findIndex((l) => l.startsWith('✘ mail quarantine: '));
      expect(two.lines[at]).toMatch(
        /^✘ mail quarantine: 2 mail\(s\) the sync could not store are kept in quarantine \(stored nowhere else in Rapport\), the oldest since \d{4}-\d{2}-\d{2} \(support@rapport\.test INBOX\): value too long for type character varying\(500\)$/,
      );
      expect(two.lines[at + 1]).toMatch(/^ {4}fix: "rapport mail quarantine" shows each one and why/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
      rmSync(kept, { recursive: true, force: true });
    }
    // Two processes opening embedded databases: seconds each on two busy cores.
  }, 300_000);
});
