import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';
import type { Database, SqlRunner } from './database.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';
import {
  defaultPgliteTemplatePath,
  discardPgliteTemplate,
  PGLITE_EXTENSIONS,
  readPgliteTemplate,
} from './pglite-template.ts';

export interface OpenPgliteOptions {
  /** Initialised-cluster template for a new database (src/db/pglite-template.ts); false = always run initdb. Default: the one in node_modules/.cache. */
  templatePath?: string | false;
}

/**
 * Opens (creating if needed) the embedded PGlite database under `<dataDir>/pglite`.
 * PGlite is single-process: a lock file makes a second process fail with a clear message
 * instead of corrupting the files. Pass `dataDir: undefined` for an in-memory database (tests).
 */
export async function openPglite(dataDir: string | undefined, opts: OpenPgliteOptions = {}): Promise<Database> {
  let release = (): void => {};
  let path: string | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = acquireDataDirLock(dataDir);
    path = join(dataDir, 'pglite');
  }
  let pglite: PGlite;
  try {
    pglite = await createPglite(
      path,
      opts.templatePath === false ? undefined : (opts.templatePath ?? defaultPgliteTemplatePath()),
    );
  } catch (err) {
    release();
    throw err;
  }
  yieldBetweenQueries(pglite);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const sql: SqlRunner = {
    async exec(text) {
      await pglite.exec(text);
    },
    async query<T>(text: string, params: unknown[] = []) {
      const res = await pglite.query<T>(text, params);
      return res.rows;
    },
  };
  return {
    kind: 'pglite',
    prisma,
    sql,
    // PGlite has one connection; serialise through it.
    withSession: (fn) => fn(sql),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      release();
    },
  };
}

/**
 * PGlite runs each query synchronously on this thread, and a finished query hands its lock to the next
 * one inside the same microtask flush: under load, every queued query ran back to back and the HTTP
 * server could not answer anything (Slack acks waited seconds). Starting each query on a new
 * macrotask lets pending I/O (new requests, their acks) in between; it costs a few microseconds per
 * query. Queries inside a transaction run on the transaction's own handle and are not delayed.
 */
function yieldBetweenQueries(pglite: PGlite): void {
  const query = pglite.query.bind(pglite);
  const exec = pglite.exec.bind(pglite);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  pglite.query = (async (...args: Parameters<PGlite['query']>) => {
    await turn();
    return query(...args);
  }) as PGlite['query'];
  pglite.exec = (async (...args: Parameters<PGlite['exec']>) => {
    await turn();
    return exec(...args);
  }) as PGlite['exec'];
}

/**
 * A new database starts from the template when there is one (seconds of initdb saved); an existing
 * one opens as it is. A template PGlite cannot load is discarded and initdb runs instead: a broken
 * cache slows one start down, it never stops one.
 */
async function createPglite(path: string | undefined, templatePath: string | undefined): Promise<PGlite> {
  const isNew = !path || !existsSync(join(path, 'PG_VERSION'));
  const template = isNew && templatePath ? readPgliteTemplate(templatePath) : undefined;
  if (template) {
    try {
      return await PGlite.create(path, { extensions: PGLITE_EXTENSIONS, loadDataDir: template });
    } catch {
      discardPgliteTemplate(templatePath);
      if (path) rmSync(path, { recursive: true, force: true });
    }
  }
  return PGlite.create(path, { extensions: PGLITE_EXTENSIONS });
}
