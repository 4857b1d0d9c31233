import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { MIGRATIONS_DIR, migrate, readMigrations, type MigrateResult } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import {
  compareDatabaseShapes,
  normalizePredicate,
  type DatabaseShape,
  type IndexAllowList,
} from '../helpers/database-shape.ts';
import { expectedDatabaseShape } from '../helpers/expected-database-shape.ts';
import { introspectDatabase } from '../helpers/introspect-database.ts';
import { parsePrismaSchema } from '../helpers/prisma-schema-parser.ts';
import {
  createScratchPostgres,
  createTestDatabase,
  TEST_DATABASE_KINDS,
  type TestDatabase,
} from '../helpers/test-database.ts';

const SCHEMA_PATH = resolve(MIGRATIONS_DIR, '../schema.prisma');
const SCHEMA = readFileSync(SCHEMA_PATH, 'utf8');

/**
 * Indexes a migration adds on purpose although schema.prisma cannot declare them (expression or partial
 * indexes, for instance). Each entry says why. An entry whose index does not exist fails the test.
 */
const INTENTIONAL_EXTRA_INDEXES: IndexAllowList = {};

/** The migration directories on disk, listed independently of readMigrations(). */
function migrationDirectories(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((name) => existsSync(join(MIGRATIONS_DIR, name, 'migration.sql')))
    .sort();
}

function drift(schemaText: string, actual: DatabaseShape, allow: IndexAllowList = INTENTIONAL_EXTRA_INDEXES): string[] {
  return compareDatabaseShapes(expectedDatabaseShape(parsePrismaSchema(schemaText)), actual, allow);
}

describe.each(TEST_DATABASE_KINDS)('SQL migrations on %s', (kind) => {
  let test: TestDatabase;
  let firstRun: MigrateResult;
  beforeAll(async () => {
    test = await createTestDatabase(kind, { migrate: false });
    firstRun = await migrate(test.db);
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('applies every migration once, and a second run is a no-op', async () => {
    const names = migrationDirectories();
    expect(names.length).toBeGreaterThan(0);
    expect(firstRun).toEqual({ applied: names, alreadyApplied: [], modified: [] });
    expect(await migrate(test.db)).toEqual({ applied: [], alreadyApplied: names, modified: [] });
  });

  it('records one finished row per migration with the sha256 of its file', async () => {
    const rows = await test.db.sql.query<{
      migration_name: string;
      checksum: string;
      finished: boolean;
      rolled_back: boolean;
      steps: number;
    }>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back,
              applied_steps_count AS steps
       FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      migrationDirectories().map((name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(readFileSync(join(MIGRATIONS_DIR, name, 'migration.sql')))
          .digest('hex'),
        finished: true,
        rolled_back: false,
        steps: 1,
      })),
    );
  });

  it('creates exactly the tables, columns, enums, indexes and keys schema.prisma declares', async () => {
    expect(drift(SCHEMA, await introspectDatabase(test.db.sql))).toEqual([]);
  });
});

describe.runIf(TEST_DATABASE_KINDS.includes('postgres'))('concurrent migrate() on one PostgreSQL database', () => {
  it('serialises the two runs: both succeed and each migration is applied once', async () => {
    const scratch = await createScratchPostgres();
    const dbs: Database[] = [];
    try {
      dbs.push(await openDatabase({ databaseUrl: scratch.url, migrate: false }));
      dbs.push(await openDatabase({ databaseUrl: scratch.url, migrate: false }));
      const results = await Promise.all(dbs.map((db) => migrate(db)));
      const names = readMigrations().map((m) => m.name);
      expect(results.flatMap((r) => r.applied).sort()).toEqual(names);
      for (const r of results) expect([...r.applied, ...r.alreadyApplied].sort()).toEqual(names);
      const rows = await dbs[0].sql.query<{ migration_name: string }>(
        'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual(names);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await scratch.drop();
    }
  });
});

// The comparison itself must be able to fail: change one side and expect the exact difference.
describe('schema drift comparison', () => {
  let test: TestDatabase;
  let migrated: DatabaseShape;
  beforeAll(async () => {
    test = await createTestDatabase('pglite');
    migrated = await introspectDatabase(test.db.sql);
  });
  afterAll(async () => {
    await test?.dispose();
  });

  const edit = (from: string | RegExp, to: string): string => {
    const changed = SCHEMA.replace(from, to);
    expect(changed).not.toBe(SCHEMA);
    return changed;
  };

  it('reports a field the migrations do not create', () => {
    expect(drift(edit('  timezone        String     @default("UTC")', '  nickname String?\n$&'), migrated)).toEqual([
      'table "Rep": column "nickname" is declared in schema.prisma but missing in the database',
    ]);
  });

  it('reports a wrong type, nullability, default, enum order, index and onDelete', () => {
    const schema = [
      ['  confidence      Float\n', '  confidence      Int\n'],
      ['  subject         String?\n', '  subject         String\n'],
      ['@default("normal")', '@default("high")'],
      ['  inbound\n  outbound\n', '  outbound\n  inbound\n'],
      ['@@index([recordId, sentAt])', '@@index([sentAt, recordId])'],
      ['references: [id], onDelete: SetNull)\n  authorName', 'references: [id], onDelete: Cascade)\n  authorName'],
    ].reduce((text, [from, to]) => {
      expect(text.includes(from), from).toBe(true);
      return text.replace(from, to);
    }, SCHEMA);
    expect(drift(schema, migrated)).toEqual([
      'enum "Direction": values are [inbound,outbound,internal,unknown], schema declares [outbound,inbound,internal,unknown]',
      'table "Classification": column "confidence" has type double precision (float8), schema declares integer (int4)',
      'table "CommunicationRecord": column "subject" is nullable, schema declares NOT NULL',
      `table "FollowUp": column "priority" has default 'normal'::text = "normal", schema declares "high"`,
      'table "Message": constraint "Message_contactId_fkey" is {"type":"f","columns":["contactId"],"references":{"table":"Contact","columns":["id"],"onDelete":"n","onUpdate":"c"}}, ' +
        'schema declares {"type":"f","columns":["contactId"],"references":{"table":"Contact","columns":["id"],"onDelete":"c","onUpdate":"c"}}',
      'table "Message": index "Message_recordId_sentAt_idx" exists in the database but not in schema.prisma',
      'table "Message": index "Message_sentAt_recordId_idx" is declared in schema.prisma but missing in the database',
    ]);
  });

  it('reports a changed index method and column order under the same name', () => {
    const schema = edit('@@index([domains], type: Gin)', '@@index([domains], map: "Company_domains_idx")').replace(
      '@@index([companyId, lastMessageAt])',
      '@@index([lastMessageAt(sort: Desc), companyId], map: "CommunicationRecord_companyId_lastMessageAt_idx")',
    );
    expect(drift(schema, migrated)).toEqual([
      'table "CommunicationRecord": index "CommunicationRecord_companyId_lastMessageAt_idx" is btree (companyId, lastMessageAt), ' +
        'schema declares btree (lastMessageAt DESC, companyId)',
      'table "Company": index "Company_domains_idx" is gin (domains), schema declares btree (domains)',
    ]);
  });

  it('reports what the database has and the schema does not, unless allow-listed', async () => {
    const extra = await createTestDatabase('pglite');
    try {
      await extra.db.sql.exec(`
        CREATE TYPE "Mood" AS ENUM ('happy');
        CREATE TABLE "Scratch" ("id" integer);
        ALTER TABLE "Rep" ADD COLUMN "nickname" text;
        ALTER TABLE "Tombstone" ADD CONSTRAINT "Tombstone_kind_check" CHECK ("kind" <> '');
        CREATE INDEX "Company_name_idx" ON "Company" ("name");
      `);
      const actual = await introspectDatabase(extra.db.sql);
      const extraInDatabase = [
        'enum "Mood" exists in the database but not in schema.prisma',
        'table "Rep": column "nickname" exists in the database but not in schema.prisma',
        'table "Scratch" exists in the database but not in schema.prisma',
        'table "Tombstone": constraint "Tombstone_kind_check" exists in the database but not in schema.prisma',
      ];
      expect(drift(SCHEMA, actual)).toEqual(
        [
          ...extraInDatabase,
          'table "Company": index "Company_name_idx" exists in the database but not in schema.prisma',
        ].sort(),
      );
      expect(drift(SCHEMA, actual, { Company_name_idx: 'test: allowed on purpose' })).toEqual(extraInDatabase);
      expect(drift(SCHEMA, actual, { Company_name_idx: 'allowed', Gone_idx: 'stale' })).toEqual(
        ['allow-listed index "Gone_idx" does not exist: remove it from the allow-list', ...extraInDatabase].sort(),
      );
    } finally {
      await extra.dispose();
    }
  });

  it('reads trigram indexes declared with ops: raw("gin_trgm_ops") and checks their operator class', () => {
    const declared = expectedDatabaseShape(
      parsePrismaSchema(`
        model Company {
          id             String @id @db.Uuid
          normalizedName String
          /// typo-tolerant lookup
          @@index([normalizedName(ops: raw("gin_trgm_ops"))], type: Gin, map: "Company_normalizedName_trgm_idx")
        }`),
    );
    expect(declared.tables.get('Company')?.indexes.get('Company_normalizedName_trgm_idx')).toEqual({
      unique: false,
      method: 'gin',
      columns: [{ column: 'normalizedName', descending: false, opclass: 'gin_trgm_ops' }],
    });

    const trigramIndex =
      /\n *@@index\(\[normalizedName\(ops: raw\("gin_trgm_ops"\)\)\], type: Gin, map: "Company_normalizedName_trgm_idx"\)/;
    expect(drift(edit(trigramIndex, ''), migrated)).toEqual([
      'table "Company": index "Company_normalizedName_trgm_idx" exists in the database but not in schema.prisma',
    ]);
    const otherOpclass = SCHEMA.replace(trigramIndex, (line) => line.replace('gin_trgm_ops', 'gin_bigm_ops'));
    expect(drift(otherOpclass, migrated)).toEqual([
      'table "Company": index "Company_normalizedName_trgm_idx" is gin (normalizedName gin_trgm_ops), schema declares gin (normalizedName gin_bigm_ops)',
    ]);
  });

  it('reads partial indexes declared with where: raw("...") and checks their predicate', () => {
    const partial = 'where: raw("status = \'suggested\'")';
    expect(SCHEMA).toContain(partial);
    // PostgreSQL prints the predicate back as (status = 'suggested'::"FollowUpStatus"): the same one.
    expect(normalizePredicate(`(status = 'suggested'::"FollowUpStatus")`)).toBe(
      normalizePredicate(`status = 'suggested'`),
    );
    expect(normalizePredicate('(a > 1) AND (b < 2)')).toBe('(a > 1) AND (b < 2)');
    expect(drift(edit(partial, 'where: raw("status = \'open\'")'), migrated)).toEqual([
      `table "FollowUp": index "FollowUp_recordId_suggested_key" is UNIQUE btree (recordId) WHERE (status = 'suggested'::"FollowUpStatus"), ` +
        `schema declares UNIQUE btree (recordId) WHERE status = 'open'`,
    ]);
    expect(drift(edit(`, ${partial}`, ''), migrated)).toEqual([
      `table "FollowUp": index "FollowUp_recordId_suggested_key" is UNIQUE btree (recordId) WHERE (status = 'suggested'::"FollowUpStatus"), schema declares UNIQUE btree (recordId)`,
    ]);
  });
});
