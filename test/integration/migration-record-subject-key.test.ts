import { expect, it } from 'vitest';
import { parseEmailSource } from '../../connectors/imap/parse-email-source.ts';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { SUBJECT_KEY_MIGRATION } from '../../src/db/subject-key-backfill.ts';
import { logEmail } from '../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { buildEmail } from '../helpers/email-fixtures.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

// The subject fallback reads only threads whose subject key matches the email's: the email threads
// logged before the key existed must get theirs from the migration, or headerless replies to them
// would start threads of their own.

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DAY = 86_400_000;

describeMigration(SUBJECT_KEY_MIGRATION, (before) => {
  it('gives the email threads logged before it their subject key, so a headerless reply still joins them', async () => {
    const { t } = before();
    const sent = new Date(Date.now() - 2 * DAY);
    // As the previous release logged them: a customer's thread, an email thread without a subject, a chat thread.
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt") VALUES ('${id(1)}', 'Initech', 'initech', ARRAY['initech.com'], now());
      INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "updatedAt") VALUES ('${id(2)}', '${id(1)}', 'Jo', 'jo', ARRAY['jo@initech.com'], now());`);
    await t.db.sql.query(
      `INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
         VALUES ($1, $4, 'email', 'RE: AW: [acme] Invoice  #42', 'email:<i1@initech.com>', $5, $5, now(), now()),
                ($2, $4, 'email', NULL, 'email:<i2@initech.com>', $5, $5, now(), now()),
                ($3, $4, 'slack', 'Invoice #42', 'slack:T1/C1/1.0', $5, $5, now(), now())`,
      [id(10), id(11), id(12), id(1), sent],
    );
    await t.db.sql.query(
      `INSERT INTO "Message" (id, "recordId", "externalId", direction, "contactId", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
         VALUES ($1, $2, 'email:<i1@initech.com>', 'inbound', $3, 'jo@initech.com', 'Invoice attached', 'Invoice attached', $4, '{}', now(), now())`,
      [id(20), id(10), id(2), sent],
    );

    const result = await migrate(t.db, MIGRATIONS_DIR);

    expect(result.applied).toContain(SUBJECT_KEY_MIGRATION);
    expect(result.backfilled).toContain(
      `${SUBJECT_KEY_MIGRATION}: 2 email thread(s) given the subject key the subject fallback reads by`,
    );
    const keys = await t.db.sql.query<{ id: string; subjectKey: string | null }>(
      `SELECT id::text AS id, "subjectKey" FROM "CommunicationRecord" ORDER BY id`,
    );
    expect(keys).toEqual([
      { id: id(10), subjectKey: 'invoice #42' },
      { id: id(11), subjectKey: '' },
      { id: id(12), subjectKey: null },
    ]);
    // Jo's next mail has no In-Reply-To/References: it joins the old thread by subject.
    const reply = await parseEmailSource(
      Buffer.from(
        buildEmail({
          from: 'jo@initech.com',
          to: 'help@support.example',
          messageId: 'i3@initech.com',
          subject: 'Re: Invoice #42',
          date: new Date(sent.getTime() + DAY),
        }),
      ),
      { mailbox: 'help@support.example' },
    );
    const out = await logEmail(t.db, reply, { internalDomains: ['support.example'], hooks: noopPipelineHooks });
    expect(out).toMatchObject({ status: 'logged', recordId: id(10), threadedBy: 'subject' });
    // Applied once: a second start finds nothing to fill in.
    expect((await migrate(t.db, MIGRATIONS_DIR)).backfilled).toBeUndefined();
  });
});
