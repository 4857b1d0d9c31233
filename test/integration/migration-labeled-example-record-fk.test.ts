import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { describeMigration } from '../helpers/migrations-where.ts';

// Training examples whose record a deleted chat message took with it (before LabeledExample.recordId had
// a foreign key) hold words their authors took back that no erasure finds by record: the migration
// withdraws the learned models that may have read them, deletes them, and adds the constraint.

const MIGRATION = '20261208010000_labeled_example_record_fk';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DAY = 86_400_000;

describeMigration(MIGRATION, (before) => {
  it('deletes the examples of records gone, withdraws the models that may have learned them, and refuses new ones', async () => {
    const { t, through } = before();
    const now = Date.now();
    const at = (days: number) => new Date(now - days * DAY);
    await t.db.sql.query(
      `INSERT INTO "CommunicationRecord" (id, "channelKind", "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
         VALUES ($1, 'slack', 'slack:T1/CFK/1.0', $2, $2, $2, $2)`,
      [id(1), at(10)],
    );
    // A record's correction, an orphan stored 5 days ago (its record deleted since), and seed data.
    await t.db.sql.query(
      `INSERT INTO "LabeledExample" (id, text, label, source, "recordId", "createdAt", "updatedAt")
         VALUES ($1, 'kept words', 'issue', 'correction', $4, $6, $6),
                ($2, 'glimmerquash taken back', 'churn', 'correction', $5, $7, $7),
                ($3, 'seed words', 'other', 'seed', NULL, $6, $6)`,
      [id(10), id(11), id(12), id(1), id(99), at(9), at(5)],
    );
    const model = (version: string, summary: object, active: boolean, created: Date) =>
      t.db.sql.query(
        `INSERT INTO "Model" (id, version, backend, labels, featurizer, "trainingSummary", weights, active, "createdAt")
           VALUES (gen_random_uuid(), $1, 'linear', ARRAY['other'], '{}'::jsonb, $2::jsonb, '\\x00'::bytea, $3, $4)`,
        [version, JSON.stringify(summary), active, created],
      );
    await model('crm-default-fk', { source: 'seed' }, false, at(20));
    await model('learned-before-orphan', { correctionsSeen: at(9).toISOString() }, false, at(8));
    await model('learned-after-orphan', { correctionsSeen: at(5).toISOString() }, true, at(4));

    expect((await migrate(t.db, through)).applied).toContain(MIGRATION);

    const examples = await t.db.sql.query<{ id: string; taken: Date | string; updated: Date | string }>(
      `SELECT id::text AS id, "textTakenAt" AS taken, "updatedAt" AS updated FROM "LabeledExample" ORDER BY id`,
    );
    expect(examples.map((e) => e.id)).toEqual([id(10), id(12)]);
    // A text kept was taken when its label last changed (upsertCorrection stored both).
    for (const e of examples) expect(new Date(e.taken)).toEqual(new Date(e.updated));
    expect(new Date(examples[0].taken)).toEqual(at(9));
    const models = await t.db.sql.query<{ version: string; active: boolean }>(
      `SELECT version, active FROM "Model" ORDER BY version`,
    );
    expect(models).toEqual([
      { version: 'crm-default-fk', active: true },
      { version: 'learned-before-orphan', active: false },
    ]);
    const [audit] = await t.db.sql.query<{ details: { versions: string[]; reason: string } }>(
      `SELECT details FROM "AuditLog" WHERE action = 'model.withdraw'`,
    );
    expect(audit?.details).toEqual({ versions: ['learned-after-orphan'], reason: 'orphan training examples' });
    await expect(
      t.db.sql.query(
        `INSERT INTO "LabeledExample" (id, text, label, source, "recordId", "createdAt", "updatedAt")
           VALUES (gen_random_uuid(), 'new orphan', 'other', 'correction', $1::uuid, now(), now())`,
        [id(98)],
      ),
    ).rejects.toThrow(/foreign key/i);
    // Deleting a record deletes its examples.
    await t.db.sql.query(`DELETE FROM "CommunicationRecord" WHERE id = $1::uuid`, [id(1)]);
    expect(await t.db.sql.query(`SELECT id FROM "LabeledExample" WHERE id = $1::uuid`, [id(10)])).toEqual([]);
  });

  it('withdraws nothing when no example lost its record', async () => {
    const { t, through } = before();
    await t.db.sql.query(
      `INSERT INTO "Model" (id, version, backend, labels, featurizer, "trainingSummary", weights, active)
         VALUES (gen_random_uuid(), 'learned-clean', 'linear', ARRAY['other'], '{}'::jsonb, $1::jsonb, '\\x00'::bytea, true)`,
      [JSON.stringify({ correctionsSeen: new Date().toISOString() })],
    );
    expect((await migrate(t.db, through)).applied).toContain(MIGRATION);
    expect(await t.db.sql.query(`SELECT version, active FROM "Model"`)).toEqual([
      { version: 'learned-clean', active: true },
    ]);
    expect(await t.db.sql.query(`SELECT id FROM "AuditLog" WHERE action = 'model.withdraw'`)).toEqual([]);
  });

  it('holds both tables from its start and gives up on its locks after 5 s', async () => {
    const { t, through } = before();
    const sql = readFileSync(join(MIGRATIONS_DIR, MIGRATION, 'migration.sql'), 'utf8');
    const statements = sql
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('--'))
      .join('\n')
      .split(';')
      .map((s) => s.trim());
    expect(statements.slice(0, 2)).toEqual([
      "SET LOCAL lock_timeout = '5s'",
      'LOCK TABLE "CommunicationRecord", "LabeledExample" IN SHARE ROW EXCLUSIVE MODE',
    ]);
    // Accepted by the runner's transaction on either database; the timeout ends with it.
    expect((await migrate(t.db, through)).applied).toContain(MIGRATION);
    const [{ lock_timeout }] = await t.db.sql.query<{ lock_timeout: string }>('SHOW lock_timeout');
    expect(lock_timeout).not.toBe('5s');
  });
});
