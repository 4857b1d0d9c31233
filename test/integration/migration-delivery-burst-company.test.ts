import { expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { earlierSuggestionDeliveries } from '../../src/db/suggestion-burst.repository.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

const MIGRATION = '20261203123000_delivery_burst_company';

const ACME = '00000000-0000-4000-8000-000000000001';
const GLOBEX = '00000000-0000-4000-8000-000000000002';

describeMigration(MIGRATION, (before) => {
  it('stores the customer of every suggestion that took a burst position, so a burst in progress keeps its places', async () => {
    const { t, through } = before();
    const followUps = ['a1', 'a2', 'a3', 'g1'];
    const id = (name: string) =>
      `10000000-0000-4000-8000-0000000000${followUps.indexOf(name).toString().padStart(2, '0')}`;
    const delivery = (name: string, purpose: string, position: number | null, ago: string) =>
      `(gen_random_uuid(), '${purpose}:${name}', 'console:team', 'sent', '${name}-ts', '{"kind": "${purpose}", "followUpId": "${id(name)}"}', ${position ?? 'NULL'}, now() - interval '${ago}', now())`;
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", "createdAt", "updatedAt") VALUES
        ('${ACME}', 'Acme', 'acme', now(), now()), ('${GLOBEX}', 'Globex', 'globex', now(), now());
      INSERT INTO "FollowUp" (id, "companyId", title, "dueAt", status, source, "messageRef", "createdAt", "updatedAt") VALUES
        ${followUps
          .map(
            (f) =>
              `('${id(f)}', '${f.startsWith('a') ? ACME : GLOBEX}', '${f}', now(), 'suggested', 'suggested', 'console:team|${f}-ts', now(), now())`,
          )
          .join(', ')};
      INSERT INTO "Delivery" (id, key, target, status, "externalId", payload, "burstPosition", "createdAt", "updatedAt") VALUES
        ${[
          delivery('a1', 'suggestion', 1, '3 minutes'),
          delivery('a2', 'suggestion', 2, '2 minutes'),
          // Not placed yet: it takes its position (and customer) when its place is first looked up.
          delivery('a3', 'suggestion', null, '1 minute'),
          delivery('a1', 'reminder', null, '1 minute'),
          delivery('g1', 'suggestion', 1, '1 minute'),
        ].join(', ')};
      INSERT INTO "SuggestionBurstCounter" ("companyId", target, "lastPosition") VALUES
        ('${ACME}', 'console:team', 2), ('${GLOBEX}', 'console:team', 1);`);

    expect((await migrate(t.db, through)).applied).toEqual([MIGRATION]);
    const rows = await t.db.sql.query<{ key: string; burstCompanyId: string | null }>(
      `SELECT key, "burstCompanyId"::text AS "burstCompanyId" FROM "Delivery" ORDER BY key`,
    );
    expect(rows).toEqual([
      { key: 'reminder:a1', burstCompanyId: null },
      { key: 'suggestion:a1', burstCompanyId: ACME },
      { key: 'suggestion:a2', burstCompanyId: ACME },
      { key: 'suggestion:a3', burstCompanyId: null },
      { key: 'suggestion:g1', burstCompanyId: GLOBEX },
    ]);

    // Acme's third suggestion sees the two before it, in order, and not Globex's in the same channel.
    const earlier = await earlierSuggestionDeliveries(t.db.sql, 'suggestion:a3', 10 * 60_000);
    expect(earlier.map((e) => [e.externalId, e.topLevel])).toEqual([
      ['a1-ts', true],
      ['a2-ts', true],
    ]);
    const [a3] = await t.db.sql.query<{ burstPosition: number; burstCompanyId: string }>(
      `SELECT "burstPosition", "burstCompanyId"::text AS "burstCompanyId" FROM "Delivery" WHERE key = 'suggestion:a3'`,
    );
    expect(a3).toEqual({ burstPosition: 3, burstCompanyId: ACME });
  });
});
