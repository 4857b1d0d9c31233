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
});
