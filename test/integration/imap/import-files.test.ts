import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importEmailFiles } from '../../../connectors/imap/import.command.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

describe.each(TEST_DATABASE_KINDS)('rapport import on %s', (kind) => {
  it('logs an mbox and a folder of .eml files through the same pipeline, counting duplicates and skips', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rapport-import-'));
    const a = buildEmail({
      from: 'jo@acme.com',
      messageId: 'a@acme.com',
      subject: 'Quote',
      body: 'Hi\nFrom the start, thanks',
    });
    const b = buildEmail({
      from: 'jo@acme.com',
      messageId: 'b@acme.com',
      inReplyTo: 'a@acme.com',
      references: ['a@acme.com'],
      subject: 'Re: Quote',
    });
    const list = buildEmail({ from: 'news@list.example', extra: ['List-Id: <n.list.example>'] });
    const escapeFrom = (m: string) => m.replace(/\r\n/g, '\n').replace(/^From /gm, '>From ');
    await writeFile(
      join(dir, 'inbox.mbox'),
      [a, b, list].map((m) => `From MAILER Mon Jan  1 00:00:00 2024\n${escapeFrom(m)}\n`).join(''),
    );
    await writeFile(join(dir, 'a.eml'), a);
    const t = await createTestDatabase(kind);
    try {
      const queued: string[] = [];
      const hooks = {
        async recordLogged(_recordId: string, messageId: string) {
          queued.push(messageId);
        },
        async followUpChanged() {},
      };
      const counts = await importEmailFiles({
        db: t.db,
        mbox: join(dir, 'inbox.mbox'),
        emlDir: dir,
        internalDomains: [],
        hooks,
      });
      expect(counts).toEqual({ logged: 2, duplicates: 1, failures: 0, skipped: { 'mailing-list': 1 } });
      const msgs = await t.db.prisma.message.findMany();
      // Imported mail reaches the pipeline (classification) once per logged message.
      expect(queued.sort()).toEqual(msgs.map((m) => m.id).sort());
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(1);
      expect(msgs.find((m) => m.externalId === 'email:<a@acme.com>')?.text).toContain('From the start, thanks');
    } finally {
      await t.dispose();
    }
  });

  it('writes big mail a few at a time: a transaction holds at most batchBytes of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rapport-import-'));
    const line = `${'x'.repeat(74)}\r\n`;
    const body = (mb: number) => line.repeat(Math.round((mb * 1024 * 1024) / line.length));
    const mails = [
      ...Array.from({ length: 4 }, (_, i) => buildEmail({ from: `c${i}@customer${i}.com`, subject: `Case ${i}` })),
      ...Array.from({ length: 3 }, (_, i) =>
        buildEmail({ from: `ops${i}@bigcorp.com`, subject: `Logs ${i}`, body: body(1.2) }),
      ),
      buildEmail({ from: 'ops@bigcorp.com', subject: 'Dump', body: body(3.5) }),
      buildEmail({ from: 'c9@customer9.com', subject: 'Case 9' }),
    ];
    for (const [i, m] of mails.entries()) await writeFile(join(dir, `${String(i).padStart(2, '0')}.eml`), m);
    const t = await createTestDatabase(kind);
    try {
      const commits: number[] = [];
      const hooks = {
        async recordLogged() {},
        async recordsLogged(logged: readonly unknown[]) {
          commits.push(logged.length);
        },
        async followUpChanged() {},
      };
      const counts = await importEmailFiles({
        db: t.db,
        emlDir: dir,
        internalDomains: [],
        hooks,
        createCompanies: 'all',
        batchBytes: 3 * 1024 * 1024,
      });
      expect(counts).toEqual({ logged: 9, duplicates: 0, failures: 0, skipped: {} });
      // 4 small + two 1.2 MB, the third, the 3.5 MB one alone, the last small one; by count alone one of 9.
      expect(commits).toEqual([6, 1, 1, 1]);
    } finally {
      await t.dispose();
    }
  });
});
