import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue 16: "src/db is the only place that talks to Prisma or SQL". The same check the issue states
// (grep -rl "prisma\.\|\$queryRaw\|\$executeRaw" src connectors jobs app | grep -v "^src/db/"), run on
// the real tree, so a query written outside a repository fails here with the file named.
const root = resolve(import.meta.dirname, '../..');
const shipped = ['src', 'connectors', 'jobs', 'app'];
const TALKS_TO_PRISMA = /prisma\.|\$queryRaw|\$executeRaw/;
/**
 * Raw SQL through the SqlRunner (`db.sql.query(...)`, `session.exec(...)`), or any `.query(`/`.exec(`
 * whose first argument is an SQL statement. Passing `db.sql` on to a repository function is fine.
 */
const RUNS_RAW_SQL =
  /\b(?:sql|session|runner)\s*\.\s*(?:query|exec)\s*[<(]|\.(?:query|exec)\s*(?:<[^>]*>)?\s*\(\s*[`'"]\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|TRUNCATE|BEGIN|SET)\b/i;

/**
 * Files that still query the database themselves, each with why. The lead shrinks this list as the
 * folders are moved onto repositories; a file that no longer queries must leave it (checked below).
 */
const ALLOWED: Record<string, string> = {
  // Empty: every folder queries through src/db. Add a file here only with the reason it cannot yet.
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

const outsideDb = shipped
  .flatMap(sourceFiles)
  .filter((f) => !f.startsWith('src/db/'))
  .filter((f) => TALKS_TO_PRISMA.test(readFileSync(join(root, f), 'utf8')));

const rawSqlOutsideDb = shipped
  .flatMap(sourceFiles)
  .filter((f) => !f.startsWith('src/db/'))
  .filter((f) => RUNS_RAW_SQL.test(readFileSync(join(root, f), 'utf8')));

describe('database access', () => {
  it('only src/db talks to Prisma or raw SQL (apart from the documented exceptions)', () => {
    expect(outsideDb.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('only src/db runs raw SQL through the SqlRunner (db.sql.query, session.exec, a .query of an SQL string)', () => {
    expect(rawSqlOutsideDb).toEqual([]);
  });

  it('tells raw SQL from passing db.sql on and from other query/exec calls', () => {
    for (const raw of [
      "await db.sql.query('SELECT 1');",
      'const rows = await deps.db.sql.query<{ n: number }>(`SELECT count(*) FROM "Company"`);',
      'await session.exec(`SET LOCAL lock_timeout = 1000`);',
      'await client.query("UPDATE \\"ChannelLink\\" SET x = 1");',
    ])
      expect(RUNS_RAW_SQL.test(raw), raw).toBe(true);
    for (const fine of [
      'const rows = await findCompaniesByContactEmail(db.sql, email);',
      'const page = Number(req.query.page ?? 1);',
      'await tx.exec();',
      'const m = PATTERN.exec(text);',
    ])
      expect(RUNS_RAW_SQL.test(fine), fine).toBe(false);
  });

  it('the exceptions list holds only files that still need it', () => {
    expect(Object.keys(ALLOWED).filter((f) => !outsideDb.includes(f))).toEqual([]);
  });

  it('sees database access where there is some (a checker that finds nothing cannot fail)', () => {
    const inDb = sourceFiles('src/db').filter(
      (f) => !f.startsWith('src/db/generated/') && TALKS_TO_PRISMA.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(inDb).toContain('src/db/follow-up.repository.ts');
    const rawInDb = sourceFiles('src/db').filter((f) => RUNS_RAW_SQL.test(readFileSync(join(root, f), 'utf8')));
    expect(rawInDb).toContain('src/db/customer-list.repository.ts');
  });
});
