import { expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { takeBurstPosition } from '../../src/db/suggestion-burst.repository.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

const MIGRATION = '20261203083000_suggestion_burst_positions';

const ACME = '00000000-0000-4000-8000-000000000001';
const GLOBEX = '00000000-0000-4000-8000-000000000002';

describeMigration(MIGRATION, (before) => {
  it('numbers the suggestions of a burst in progress in creation order, so the next one continues the burst', async () => {
    const { t, through } = before();
    const followUps = ['a1', 'a2', 'a3', 'a4', 'a5', 'g1'];
    const id = (name: string) =>
      `10000000-0000-4000-8000-0000000000${followUps.indexOf(name).toString().padStart(2, '0')}`;
    const delivery = (name: string, purpose: string, target: string, ago: string) =>
      `(gen_random_uuid(), '${purpose}:${name}', '${target}', 'sent', '{"kind": "${purpose}", "followUpId": "${id(name)}"}', now() - interval '${ago}', now())`;
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", "createdAt", "updatedAt") VALUES
        ('${ACME}', 'Acme', 'acme', now(), now()), ('${GLOBEX}', 'Globex', 'globex', now(), now());
      INSERT INTO "FollowUp" (id, "companyId", title, "dueAt", status, source, "createdAt", "updatedAt") VALUES
        ${followUps
          .map(
            (f) =>
              `('${id(f)}', '${f.startsWith('a') ? ACME : GLOBEX}', '${f}', now(), 'suggested', 'suggested', now(), now())`,
          )
          .join(', ')};
      INSERT INTO "Delivery" (id, key, target, status, payload, "createdAt", "updatedAt") VALUES
        ${[
          delivery('a1', 'suggestion', 'console:team', '5 minutes'),
          delivery('a2', 'suggestion', 'console:team', '3 minutes'),
          // Long before any burst still going on: no position.
          delivery('a3', 'suggestion', 'console:team', '2 hours'),
          // Another channel: a burst of its own.
          delivery('a4', 'suggestion', 'slack:T1/C1', '1 minute'),
          // Not a suggestion.
          delivery('a1', 'reminder', 'console:team', '1 minute'),
          delivery('g1', 'suggestion', 'console:team', '4 minutes'),
        ].join(', ')};`);

    expect((await migrate(t.db, through)).applied).toEqual([MIGRATION]);
    const positions = await t.db.sql.query<{ key: string; burstPosition: number | null }>(
      `SELECT key, "burstPosition" FROM "Delivery" ORDER BY key`,
    );
    expect(positions).toEqual([
      { key: 'reminder:a1', burstPosition: null },
      { key: 'suggestion:a1', burstPosition: 1 },
      { key: 'suggestion:a2', burstPosition: 2 },
      { key: 'suggestion:a3', burstPosition: null },
      { key: 'suggestion:a4', burstPosition: 1 },
      { key: 'suggestion:g1', burstPosition: 1 },
    ]);

    // Acme's next suggestion to the team channel is the third of its burst there (read as today's code
    // reads it, after the later migrations).
    await migrate(t.db);
    await t.db.sql.exec(`
      INSERT INTO "Delivery" (id, key, target, status, payload, "createdAt", "updatedAt")
      VALUES (gen_random_uuid(), 'suggestion:a5', 'console:team', 'pending', '{"kind": "suggestion", "followUpId": "${id('a5')}"}', now(), now())`);
    await takeBurstPosition(t.db.sql, 'suggestion:a5');
    const [next] = await t.db.sql.query<{ burstPosition: number }>(
      `SELECT "burstPosition" FROM "Delivery" WHERE key = 'suggestion:a5'`,
    );
    expect(next.burstPosition).toBe(3);
  });
});
