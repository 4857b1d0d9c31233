import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/open-pglite.ts';
import { buildPgliteTemplate } from '../../src/db/pglite-template.ts';

const dir = mkdtempSync(join(tmpdir(), 'rapport-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PGlite template (new databases skip initdb)', () => {
  it('a data dir created from the template migrates, searches with pg_trgm and keeps its data across reopen', async () => {
    const template = await buildPgliteTemplate(join(dir, 'template.tar'));
    const dataDir = join(dir, 'data');
    const db = await openPglite(dataDir, { templatePath: template });
    await migrate(db);
    await db.prisma.company.create({ data: { name: 'ACME Corp.', normalizedName: 'acme', domains: ['acme.com'] } });
    const [row] = await db.sql.query<{ s: number }>("SELECT similarity('acme corp', 'acme corporation') AS s");
    expect(row.s).toBeGreaterThan(0.3);
    await db.close();

    // Reopening an existing data dir never reloads the template over it.
    const again = await openPglite(dataDir, { templatePath: template });
    expect(await again.prisma.company.count()).toBe(1);
    expect((await migrate(again)).applied).toEqual([]);
    await again.close();
  });

  it('a corrupt template is discarded and the database is initialised the slow way instead', async () => {
    const broken = join(dir, 'broken.tar');
    writeFileSync(broken, 'this is not a tarball of a PostgreSQL cluster');
    const dataDir = join(dir, 'data-from-broken');
    const db = await openPglite(dataDir, { templatePath: broken });
    await migrate(db);
    expect(await db.prisma.company.count()).toBe(0);
    await db.close();
    expect(existsSync(broken)).toBe(false);
  });
});
