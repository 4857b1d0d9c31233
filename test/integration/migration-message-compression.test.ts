import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../helpers/test-database.ts';

// Message bodies are TOAST-compressed with lz4 where the server has it (prisma/migrations/
// 20261204150000_message_lz4_compression): cheaper for every logged mail than pglz. PGlite has no lz4;
// there the migration must still apply, leaving the default.

const COLUMNS = ['text', 'cleanText', 'metadata'];

describe.each(TEST_DATABASE_KINDS)('Message body compression on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(() => t.dispose());

  it('stores new long bodies with lz4 where the server has it, and migrates where it does not', async () => {
    const applied = await t.db.sql.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE migration_name LIKE '%_message_lz4_compression' AND finished_at IS NOT NULL`,
    );
    expect(applied).toHaveLength(1);
    const columns = await t.db.sql.query<{ attname: string; attcompression: string }>(
      `SELECT attname, attcompression::text AS attcompression FROM pg_attribute
        WHERE attrelid = '"Message"'::regclass AND attname = ANY($1::text[]) ORDER BY attname`,
      [COLUMNS],
    );
    const lz4 = await t.db.sql.query<{ ok: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) AS ok`,
    );
    const expected = kind === 'postgres' ? 'l' : '';
    if (kind === 'postgres') expect(lz4[0].ok).toBe(true); // Debian's PostgreSQL is built with lz4
    expect(columns.map((c) => [c.attname, c.attcompression])).toEqual(
      [...COLUMNS].sort().map((name) => [name, expected]),
    );

    // A mail body long enough to be compressed, as the sync writes it.
    await t.db.sql.exec(`
      INSERT INTO "CommunicationRecord" (id, "channelKind", "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
        VALUES ('00000000-0000-4000-8000-000000000001', 'email', 'email:<lz4@initech.com>', now(), now(), now(), now())`);
    const body = 'Our invoices are wrong again. '.repeat(400);
    await t.db.sql.query(
      `INSERT INTO "Message" (id, "recordId", "externalId", direction, text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
         VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'email:<lz4@initech.com>', 'inbound', $1, $1, now(), '{}', now(), now())`,
      [body],
    );
    const [row] = await t.db.sql.query<{ method: string | null; text: string }>(
      `SELECT pg_column_compression(text) AS method, text FROM "Message" WHERE "externalId" = 'email:<lz4@initech.com>'`,
    );
    expect(row.text).toBe(body);
    expect(row.method).toBe(kind === 'postgres' ? 'lz4' : 'pglz');
  });
});
