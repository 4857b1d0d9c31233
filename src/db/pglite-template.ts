import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

/** The extensions every Rapport PGlite loads (the migrations CREATE EXTENSION pg_trgm). */
export const PGLITE_EXTENSIONS = { pg_trgm };

const require = createRequire(import.meta.url);

function pgliteVersion(): string {
  // The package's exports map hides package.json: find it next to the resolved entry point.
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Where the initialised-cluster template lives: node_modules/.cache, named after the PGlite version
 * (a template from another version is never used). Built at `npm install` (scripts/build-pglite-template.ts)
 * and by the test setup; absent means "run initdb", which is merely slower.
 */
export function defaultPgliteTemplatePath(): string {
  return join(PACKAGE_ROOT, 'node_modules', '.cache', 'rapport', `pglite-${pgliteVersion()}.tar`);
}

/**
 * Writes a template: the data dir of a freshly initialised, empty cluster (no Rapport tables; the
 * migrations run on top as usual). PGlite's initdb costs seconds of CPU on every new database; loading
 * this tarball instead is several times faster (PGlite's own clone() works the same way).
 * Written to a temporary name and renamed, so a concurrent reader never sees half a file.
 */
export async function buildPgliteTemplate(path = defaultPgliteTemplatePath()): Promise<string> {
  const pg = await PGlite.create(undefined, { extensions: PGLITE_EXTENSIONS });
  try {
    const tarball = await pg.dumpDataDir('none');
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await tarball.arrayBuffer()));
    renameSync(partial, path);
    return path;
  } finally {
    await pg.close();
  }
}

/** The template as PGlite's `loadDataDir` wants it, or undefined when there is none (or it cannot be read). */
export function readPgliteTemplate(path = defaultPgliteTemplatePath()): Blob | undefined {
  try {
    if (!existsSync(path)) return undefined;
    const bytes = readFileSync(path);
    return bytes.length > 0 ? new Blob([bytes]) : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes a template PGlite could not load, so the next start does not trip on it again. */
export function discardPgliteTemplate(path = defaultPgliteTemplatePath()): void {
  rmSync(path, { force: true });
}
