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

describe('database access', () => {
  it('only src/db talks to Prisma or raw SQL (apart from the documented exceptions)', () => {
    expect(outsideDb.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('the exceptions list holds only files that still need it', () => {
    expect(Object.keys(ALLOWED).filter((f) => !outsideDb.includes(f))).toEqual([]);
  });

  it('sees database access where there is some (a checker that finds nothing cannot fail)', () => {
    const inDb = sourceFiles('src/db').filter(
      (f) => !f.startsWith('src/db/generated/') && TALKS_TO_PRISMA.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(inDb).toContain('src/db/follow-up.repository.ts');
  });
});
