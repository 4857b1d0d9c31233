import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quarantineMail } from '../../src/db/mail-quarantine.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { buildEmail } from '../helpers/email-fixtures.ts';
import { runRapportCli } from '../helpers/spawn-rapport.ts';

const dir = mkdtempSync(join(tmpdir(), 'rapport-quarantine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rapport = (...args: string[]) => runRapportCli(dir, args);

describe('rapport mail quarantine, retry ID and drop', () => {
  it('lists what the sync kept and why, retries one mail by its id and drops another', async () => {
    // Seeded in-process (each spawned command costs seconds on a busy machine); the CLI runs for real.
    const db = await openDatabase({ dataDir: dir });
    const keep = (
      from: string,
      subject: string,
      extra: { uid: number; error: string; sizeBytes?: number; unread?: boolean },
    ) =>
      quarantineMail(db, {
        mailbox: 'support@support.example',
        folder: 'INBOX',
        uid: extra.uid,
        raw: Buffer.from(buildEmail({ from, subject, body: `About ${subject}` })),
        serverDate: new Date('2026-11-30T09:15:00Z'),
        sizeBytes: extra.sizeBytes,
        // A mail kept unread (it stopped the process) has no parsed headers: the listing reads its source.
        headers: extra.unread ? {} : { from, subject: `${subject}\r\nX-Injected: yes` },
        error: extra.error,
        note: 'Could not be stored after 3 tries. Kept raw in quarantine; fix the cause and run "rapport mail retry".',
      });
    await keep('Kim <kim@retryco.com>', 'Invoice 7', {
      uid: 41,
      error: 'value too long for type character varying(500)',
    });
    await keep('Lee <lee@dropco.com>', 'Crash me', {
      uid: 42,
      error: 'the process stopped 3 times',
      sizeBytes: 99_000_000,
    });
    const rows = await db.prisma.mailQuarantine.findMany({ orderBy: { uid: 'asc' } });
    await db.close();
    const [retryId, dropId] = rows.map((r) => r.id);

    const listed = await rapport('mail', 'quarantine');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('2 quarantined mail(s) still failing, oldest first:');
    expect(listed.out).toContain(`${retryId}  support@support.example INBOX UID 41`);
    expect(listed.out).toContain('from Kim <kim@retryco.com>: Invoice 7 X-Injected: yes');
    expect(listed.out).toContain('error: value too long for type character varying(500)');
    expect(listed.out).toContain('received 2026-11-30 09:15 UTC');
    expect(listed.out).toMatch(/94\.4 MB, headers only kept \(\d+ bytes\), 1 attempt\(s\)/);
    expect(listed.out).toContain('from Lee <lee@dropco.com>: Crash me');
    // A header's line break never starts a line of its own in the listing.
    expect(listed.out).not.toMatch(/^X-Injected/m);

    const typo = await rapport('mail', 'retry', 'not-an-id');
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('"not-an-id" is not a quarantined mail\'s id');
    const unknown = await rapport('mail', 'drop', '00000000-0000-4000-8000-000000000000', '--yes');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('No quarantined mail has the id 00000000-0000-4000-8000-000000000000');
    expect(unknown.out).toContain('Nothing was dropped');

    const retried = await rapport('mail', 'retry', retryId);
    expect(retried.out).toContain('Retried 1 quarantined message(s): 1 logged');
    expect(retried.code).toBe(0);

    const dry = await rapport('mail', 'drop', dropId);
    expect(dry.code).toBe(2);
    expect(dry.out).toContain('Run again with --yes to delete.');
    const dropped = await rapport('mail', 'drop', dropId, '--yes');
    expect(dropped.code).toBe(0);
    expect(dropped.out).toContain('Deleted 1 quarantined mail(s). They are still on the mail server.');

    const after = await rapport('mail', 'quarantine');
    expect(after.out).toContain('No quarantined mail is waiting');
    const resolved = await rapport('mail', 'quarantine', '--resolved');
    expect(resolved.out).toContain('1 quarantined mail(s), oldest first:');
    expect(resolved.out).toContain(`${retryId}  support@support.example INBOX UID 41`);
    expect(resolved.out).toMatch(/logged by a retry \d{4}-\d{2}-\d{2}/);
    const check = await openDatabase({ dataDir: dir });
    try {
      expect((await check.prisma.communicationRecord.findMany()).map((r) => r.subject)).toEqual(['Invoice 7']);
      expect(await check.prisma.mailQuarantine.count()).toBe(1);
    } finally {
      await check.close();
    }
  });
});
