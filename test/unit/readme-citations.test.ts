import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README claims only what a test proves and names the test beside each claim: a renamed or
// deleted test file, or a renamed npm script, would leave a claim pointing at nothing.
const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README citations', () => {
  it('every test file the README names exists', () => {
    const cited = [...new Set([...readme.matchAll(/\btest\/[\w./-]+\.test\.ts\b/g)].map((m) => m[0]))];
    expect(cited.length).toBeGreaterThan(50);
    expect(cited.filter((f) => !existsSync(join(root, f)))).toEqual([]);
  });

  it('every npm script the README names exists', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    const named = [...new Set([...readme.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1]))];
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((s) => !(s in scripts))).toEqual([]);
  });
});
