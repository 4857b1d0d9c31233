import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRapport } from '../helpers/spawn-rapport.ts';

const dir = mkdtempSync(join(tmpdir(), 'rapport-erase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rapport(...args: string[]) {
  // No Redis: exec then queues nothing in the shared one (the reconciler would classify later).
  const p = spawnRapport(args, { RAPPORT_DATA_DIR: dir, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' });
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('rapport erase', () => {
  it('asks for --yes, then erases the customer so lookup no longer finds it', async () => {
    expect((await rapport('exec', 'log "Erase Me Ltd" "Called Jo about the renewal" --new')).code).toBe(0);
    const dry = await rapport('erase', 'Erase Me Ltd');
    expect(dry.code).toBe(2);
    expect(dry.out).toContain('Run again with --yes to erase.');
    expect((await rapport('exec', 'lookup Erase Me Ltd')).out).toContain('Erase Me Ltd');

    const erased = await rapport('erase', 'Erase Me Ltd', '--yes');
    expect(erased.code).toBe(0);
    const after = await rapport('exec', 'lookup Erase Me Ltd');
    expect(after.out).not.toContain('Called Jo');
    expect(after.out).not.toMatch(/Erase Me Ltd: \d+ contact/);
  });

  it('refuses an ambiguous name with a non-zero exit listing ids, and erases by id or by domain', async () => {
    expect((await rapport('exec', 'log "Pathname Labs" "Call about the licence" --new')).code).toBe(0);
    expect((await rapport('exec', 'log "Pathname Systems" "Call about the invoice" --new')).code).toBe(0);
    expect((await rapport('exec', 'log infinetivity.com "Call about the API" --new')).code).toBe(0);

    const ambiguous = await rapport('erase', 'Pathname', '--yes');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.out).toContain('nothing was erased');
    const ids = [...ambiguous.out.matchAll(/rapport erase ([0-9a-f-]{36}) --yes\s+# (Pathname \w+)/g)];
    expect(ids.map((m) => m[2]).sort()).toEqual(['Pathname Labs', 'Pathname Systems']);

    const labs = ids.find((m) => m[2] === 'Pathname Labs')![1];
    const byId = await rapport('erase', labs, '--yes');
    expect(byId.code).toBe(0);
    expect(byId.out).toContain('Pathname Labs was erased');

    const byDomain = await rapport('erase', 'infinetivity.com', '--yes');
    expect(byDomain.code).toBe(0);
    expect(byDomain.out).toContain('Infinetivity was erased');
    // Pathname Systems is untouched: the name now fits one customer.
    expect((await rapport('erase', 'Pathname')).out).toContain('This permanently deletes Pathname Systems');
  }, 300_000);
});
