import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quarantineMail } from '../../src/db/mail-quarantine.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { normalizeCompanyName } from '../../src/domain/normalize-company-name.ts';
import { buildEmail } from '../helpers/email-fixtures.ts';
import { runRapportCli } from '../helpers/spawn-rapport.ts';

const dir = mkdtempSync(join(tmpdir(), 'rapport-erase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rapport = (...args: string[]) => runRapportCli(dir, args);

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
    // Seeded in-process (each spawned command costs seconds on a busy machine); the CLI runs for real.
    const own = mkdtempSync(join(tmpdir(), 'rapport-erase-ids-'));
    const db = await openDatabase({ dataDir: own });
    const mk = (name: string, domains: string[] = []) =>
      db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains } });
    const labs = await mk('Pathname Labs');
    await mk('Pathname Systems');
    await mk('Infinetivity', ['infinetivity.com']);
    // A mail from Infinetivity the IMAP sync could not store: the erasure by domain takes it too.
    await quarantineMail(db, {
      mailbox: 'support@support.example',
      raw: Buffer.from(buildEmail({ from: 'Kim <kim@infinetivity.com>', body: 'Refused by the database' })),
      headers: {},
      error: 'refused',
      note: 'kept for rapport mail retry',
    });
    await db.close();
    const run = (...args: string[]) => runRapportCli(own, args);
    try {
      const ambiguous = await run('erase', 'Pathname', '--yes');
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.out).toContain('nothing was erased');
      const ids = [...ambiguous.out.matchAll(/rapport erase ([0-9a-f-]{36}) --yes\s+# (Pathname \w+)/g)];
      expect(ids.map((m) => [m[2], m[1]]).sort()).toEqual([
        ['Pathname Labs', labs.id],
        ['Pathname Systems', expect.any(String)],
      ]);
      const byId = await run('erase', labs.id, '--yes');
      expect(byId.code).toBe(0);
      expect(byId.out).toContain('Pathname Labs was erased');
      const byDomain = await run('erase', 'infinetivity.com', '--yes');
      expect(byDomain.code).toBe(0);
      expect(byDomain.out).toContain('Infinetivity was erased');
      expect(byDomain.out).toContain('1 quarantined mail deleted');
      const check = await openDatabase({ dataDir: own });
      expect((await check.prisma.company.findMany()).map((c) => c.name)).toEqual(['Pathname Systems']);
      expect(await check.prisma.mailQuarantine.count()).toBe(0);
      await check.close();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }, 300_000);
});
