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
});
