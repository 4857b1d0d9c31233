import { expect, it } from 'vitest';
import { describeMigration } from '../helpers/migrations-where.ts';
import { migrate } from '../../src/db/migrate.ts';

const MIGRATION = '20261130230000_one_pending_suggestion_per_record';

describeMigration(MIGRATION, (before) => {
  it('keeps the oldest of duplicate pending suggestions waiting and dismisses the rest, then refuses new duplicates', async () => {
    const { t, through } = before();
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", "createdAt", "updatedAt") VALUES ('00000000-0000-4000-8000-000000000001', 'Acme', 'acme', now(), now());
      INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
        VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'email', 'k1', now(), now(), now(), now()),
               ('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001', 'email', 'k2', now(), now(), now(), now());
      INSERT INTO "FollowUp" (id, "companyId", "recordId", title, "dueAt", status, source, "createdAt", "updatedAt") VALUES
        ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'first', now(), 'suggested', 'suggested', now() - interval '2 minutes', now()),
        ('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'raced', now(), 'suggested', 'suggested', now() - interval '1 minute', now()),
        ('00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 'accepted', now(), 'open', 'suggested', now(), now()),
        ('00000000-0000-4000-8000-00000000000d', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'other record', now(), 'suggested', 'suggested', now(), now());`);

    const result = await migrate(t.db, through);

    expect(result.applied).toEqual([MIGRATION]);
    const rows = await t.db.sql.query<{ title: string; status: string }>(
      `SELECT title, status::text AS status FROM "FollowUp" ORDER BY title`,
    );
    expect(rows).toEqual([
      { title: 'accepted', status: 'open' },
      { title: 'first', status: 'suggested' },
      { title: 'other record', status: 'suggested' },
      { title: 'raced', status: 'dismissed' },
    ]);
    await expect(
      t.db.sql.exec(`INSERT INTO "FollowUp" (id, "companyId", "recordId", title, "dueAt", status, source, "createdAt", "updatedAt")
        VALUES ('00000000-0000-4000-8000-00000000000e', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000003', 'late', now(), 'suggested', 'suggested', now(), now())`),
    ).rejects.toThrow(/FollowUp_recordId_suggested_key/);
  });
});
