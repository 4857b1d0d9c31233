import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAPPORT_BIN, runRapportCli } from '../helpers/spawn-rapport.ts';
import { startTestProcess, type TestProcess } from '../helpers/test-process.ts';

const HUBSPOT = fileURLToPath(new URL('../fixtures/customers/hubspot-contacts.csv', import.meta.url));

// On the embedded database (the default) the running bot holds the data dir: `rapport import` sends the
// file to it, as `rapport exec` and `rapport mail` send theirs, and prints its summary as when it runs alone.
describe('rapport import while Rapport runs on the embedded database', () => {
  let test: TestProcess | undefined;

  beforeAll(async () => {
    test = await startTestProcess('pglite', {}, { name: 'import' });
  });
  afterAll(async () => {
    await test?.dispose();
  });

  /** `rapport <args>` as a real child process against the running process's data dir. */
  const rapport = (...args: string[]) => runRapportCli(test!.dataDir, args);

  it('checks, imports and names the bad rows through the running process', async () => {
    const dry = await rapport('import', '--customers', HUBSPOT, '--dry-run');
    expect(dry.out).toContain('6 rows: 3 new companies and 4 new contacts would be created');
    expect(dry.out).toContain('"not-an-email" is not an email address.');
    expect(dry.out).toContain('Dry run: nothing was changed.');
    expect(dry.code).toBe(1); // rows with problems

    const done = await rapport('import', '--customers', HUBSPOT, '--json');
    expect(done.code).toBe(1);
    const summary = JSON.parse(done.out) as { companiesCreated: number; contactsCreated: number; errors: number };
    expect(summary).toMatchObject({ companiesCreated: 3, contactsCreated: 4, errors: 2 });

    const lookup = await rapport('exec', 'lookup Analytical Engines');
    expect(lookup.code).toBe(0);
    expect(lookup.out).toContain('Analytical Engines');
  });

  it('says what is wrong with a file the running process refuses, or an empty one', async () => {
    const empty = await rapport('import', '--customers', '/dev/null');
    expect(empty).toEqual({ code: 1, out: '/dev/null is empty: there is nothing to import.\n' });
    const notCsv = await rapport('import', '--customers', RAPPORT_BIN);
    expect(notCsv.code).toBe(1);
    expect(notCsv.out).toMatch(/^No column of this file names a company, domain or email/);
  });
});
