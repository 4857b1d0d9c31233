import { expect, it } from 'vitest';
import { parseEmailSource } from '../../connectors/imap/parse-email-source.ts';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { emailIdKey } from '../../src/domain/email-threading.ts';
import { logEmail } from '../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { buildEmail } from '../helpers/email-fixtures.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

const MIGRATION = '20261203090000_email_thread_keys';
const REC = '00000000-0000-4000-8000-000000000002';
const LONG = `${'x'.repeat(600)}@initech.com`;

describeMigration(MIGRATION, (before) => {
  it('gives the threads logged before it their ids, so a reply naming only a missing one joins them', async () => {
    const { t } = before();
    // A thread as the previous release logged it: named after its root r0 (never seen), one message
    // r2 answering r1 (never seen either), with References r0 r1 and a long id.
    await t.db.sql.exec(`
      INSERT INTO "CommunicationRecord" (id, "channelKind", subject, "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
        VALUES ('${REC}', 'email', 'Outage', 'email:<r0@initech.com>', now(), now(), now(), now());
      INSERT INTO "Message" (id, "recordId", "externalId", direction, text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
        VALUES ('00000000-0000-4000-8000-000000000003', '${REC}', 'email:<r2@initech.com>', 'inbound', 'hi', 'hi', now(),
          '{"inReplyTo": "r1@initech.com", "references": ["r0@initech.com", "r1@initech.com", "${LONG}"]}', now(), now());`);

    const result = await migrate(t.db, MIGRATIONS_DIR);

    expect(result.applied).toContain(MIGRATION);
    const keys = await t.db.sql.query<{ key: string; recordId: string }>(
      `SELECT key, "recordId"::text AS "recordId" FROM "EmailThreadKey" ORDER BY key`,
    );
    expect(keys).toEqual(
      ['email:<r0@initech.com>', 'email:<r1@initech.com>', 'email:<r2@initech.com>', emailIdKey(LONG)]
        .sort()
        .map((key) => ({ key, recordId: REC })),
    );
    // Our answer to r1 (In-Reply-To only): before the keys it started a thread of its own.
    const reply = await parseEmailSource(
      Buffer.from(
        buildEmail({
          from: 'help@support.example',
          to: 'jo@initech.com',
          messageId: 'r3@support.example',
          inReplyTo: 'r1@initech.com',
          subject: 'Re: Outage',
        }),
      ),
      { mailbox: 'help@support.example' },
    );
    const out = await logEmail(t.db, reply, { internalDomains: ['support.example'], hooks: noopPipelineHooks });
    expect(out).toMatchObject({ status: 'logged', recordId: REC, threadedBy: 'In-Reply-To' });
  });
});
