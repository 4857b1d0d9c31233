import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package-root.ts';

/** The two functions of semver (npm's own range rules) this test needs; semver ships no types. */
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string, opts?: { includePrerelease?: boolean }): boolean;
};

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  optional?: boolean;
  dev?: boolean;
  link?: boolean;
  resolved?: string;
}

// Issue 20: `npm install` warned EBADENGINE for @prisma/streams-local (node >=22) while Rapport says
// node >=20.19. npm warns for every installed package whose `engines.node` the running Node misses; this
// reads the same field from package-lock.json for the oldest Node package.json allows.
describe('npm install on the oldest supported Node', () => {
  const root = PACKAGE_ROOT;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const oldest = semver.minVersion(pkg.engines.node)!.version;

  it('installs no package whose engines exclude that Node (no EBADENGINE warning)', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, e]) => path !== '' && e.engines && !Array.isArray(e.engines) && e.engines.node)
      .filter(([, e]) => !semver.satisfies(oldest, (e.engines as { node: string }).node, { includePrerelease: true }))
      .map(([path, e]) => `${path} (node ${(e.engines as { node: string }).node})`);
    expect(refusing).toEqual([]);
  });

  it('keeps the Prisma CLI whole: @prisma/streams-local (only `prisma dev` loads it) is the local stand-in', () => {
    const streams = lock.packages['node_modules/@prisma/streams-local'];
    expect(streams).toMatchObject({ resolved: 'scripts/stubs/prisma-streams-local', link: true });
    expect(lock.packages['node_modules/prisma']?.version).toMatch(/^7\./);
  });
});
