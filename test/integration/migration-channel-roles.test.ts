import { expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

const MIGRATION = '20261202132736_channel_roles';

const ACME = '00000000-0000-4000-8000-000000000001';
const GLOBEX = '00000000-0000-4000-8000-000000000002';
const INITECH = '00000000-0000-4000-8000-000000000003';
const UMBRELLA = '00000000-0000-4000-8000-000000000004';

describeMigration(MIGRATION, (before) => {
  it('a link where a customer spoke (outsiders are there) becomes source-only; an internal one stays where cards go', async () => {
    const { t, through } = before();
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", "createdAt", "updatedAt") VALUES
        ('${ACME}', 'Acme', 'acme', now(), now()), ('${GLOBEX}', 'Globex', 'globex', now(), now()),
        ('${INITECH}', 'Initech', 'initech', now(), now()), ('${UMBRELLA}', 'Umbrella', 'umbrella', now(), now());
      INSERT INTO "ChannelLink" (id, platform, "channelRef", "companyId", "createdAt", "updatedAt") VALUES
        -- Acme: a Slack Connect channel (its customer wrote there) linked last, an internal channel before.
        ('10000000-0000-4000-8000-000000000001', 'slack', 'T1/CACME', '${ACME}', now(), now()),
        ('10000000-0000-4000-8000-000000000002', 'slack', 'T1/CACME_INTERNAL', '${ACME}', now(), now() - interval '1 day'),
        -- Globex: only a Teams channel with a guest who wrote there.
        ('10000000-0000-4000-8000-000000000003', 'teams', '19:globex@thread.tacv2', '${GLOBEX}', now(), now()),
        -- Initech: an internal channel where only reps wrote; a name with LIKE wildcards in it.
        ('10000000-0000-4000-8000-000000000004', 'slack', 'T1/C_INIT%', '${INITECH}', now(), now()),
        -- Umbrella: a mailbox link (never a place to post).
        ('10000000-0000-4000-8000-000000000005', 'email', 'sales@ours.example', '${UMBRELLA}', now(), now());
      INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt") VALUES
        ('20000000-0000-4000-8000-000000000001', '${ACME}', 'slack', 'slack:T1/CACME/1.1', now(), now(), now(), now()),
        ('20000000-0000-4000-8000-000000000002', '${GLOBEX}', 'teams', 'teams:19:globex@thread.tacv2/1', now(), now(), now(), now()),
        ('20000000-0000-4000-8000-000000000003', '${INITECH}', 'slack', 'slack:T1/C_INIT%/1.1', now(), now(), now(), now()),
        ('20000000-0000-4000-8000-000000000004', '${INITECH}', 'slack', 'slack:T1/CXINITZ/1.1', now(), now(), now(), now());
      INSERT INTO "Message" (id, "recordId", "externalId", direction, "authorName", text, "cleanText", "sentAt", "createdAt", "updatedAt") VALUES
        ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'slack:T1/CACME/1.1', 'inbound', 'Jo', 'x', 'x', now(), now(), now()),
        ('30000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002', 'teams:19:globex@thread.tacv2/1', 'inbound', 'Guest', 'x', 'x', now(), now(), now()),
        ('30000000-0000-4000-8000-000000000003', '20000000-0000-4000-8000-000000000003', 'slack:T1/C_INIT%/1.1', 'outbound', 'Ann', 'x', 'x', now(), now(), now()),
        -- Would match "T1/C_INIT%" if _ and % were wildcards: the escape keeps Initech's channel internal.
        ('30000000-0000-4000-8000-000000000004', '20000000-0000-4000-8000-000000000004', 'slack:T1/CXINITZ/1.1', 'inbound', 'Bob', 'x', 'x', now(), now(), now());`);

    expect((await migrate(t.db, through)).applied).toEqual([MIGRATION]);

    const rows = await t.db.sql.query<{ companyId: string; target: string; origin: string }>(
      `SELECT "companyId", platform::text || ':' || "channelRef" AS target, origin FROM "TeamChannel" ORDER BY target`,
    );
    expect(rows).toEqual([
      { companyId: ACME, target: 'slack:T1/CACME_INTERNAL', origin: 'migration' },
      { companyId: INITECH, target: 'slack:T1/C_INIT%', origin: 'migration' },
    ]);
    // The links themselves stay: every customer channel is still auto-logged.
    expect(await t.db.sql.query(`SELECT id FROM "ChannelLink"`)).toHaveLength(5);
  });
});
