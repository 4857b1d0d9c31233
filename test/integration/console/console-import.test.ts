import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, launchChromium, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { RAPPORT_BIN } from '../../helpers/spawn-rapport.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/customers/${name}`, import.meta.url));

/** `rapport import --customers …` as a real child process against `databaseUrl`. */
function importCli(args: string[], databaseUrl: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RAPPORT_BIN, 'import', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

// Issue 17: CSV import of companies and contacts, from the console and the CLI; dry run, bad rows, idempotent.
describe('customer CSV import', () => {
  let t: TestDatabase;
  let app: ConsoleServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    app = await startConsoleServer(t.db);
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.dispose();
  });

  // Both tests write to one database and may run in either order (their files name disjoint customers):
  // what a test counts is what it added since it started.
  const counts = async () => ({
    companies: await t.db.prisma.company.count(),
    contacts: await t.db.prisma.contact.count(),
  });
  const added = async (start: { companies: number; contacts: number }) => {
    const now = await counts();
    return { companies: now.companies - start.companies, contacts: now.contacts - start.contacts };
  };

  it('in the console: a HubSpot export checked (dry run), imported with its bad rows named, imported again without change', async () => {
    const start = await counts();
    await page.goto(`${app.base}/console/import`);
    await page.setInputFiles('#file', fixture('hubspot-contacts.csv'));
    await page.getByRole('button', { name: 'Check (dry run)' }).click();
    // Each row is its own transaction: give a loaded machine time.
    await expect.poll(() => page.textContent('#status'), { timeout: 60_000 }).toBe('Checked. Nothing was changed.');
    const summary = () => page.textContent('#summary');
    expect(await summary()).toContain('Read as: HubSpot');
    expect(await summary()).toContain('6 rows: 3 new companies and 4 new contacts would be created');
    expect(await summary()).toContain('2 rows with problems (dry run: nothing was changed)');
    expect(await added(start)).toEqual({ companies: 0, contacts: 0 });
    const problems = page.locator('#rows tbody tr.error-row');
    await expect.poll(() => problems.count()).toBe(2);
    expect(await problems.nth(0).textContent()).toContain('"not-an-email" is not an email address.');
    expect(await problems.nth(0).locator('td').first().textContent()).toBe('5');
    expect(await problems.nth(1).textContent()).toContain('free-mail address and the row names no company');

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.textContent('#status'), { timeout: 60_000 }).toBe('Imported.');
    expect(await summary()).toContain('3 new companies and 4 new contacts were created');
    expect(await added(start)).toEqual({ companies: 3, contacts: 4 });
    const ada = await t.db.prisma.contact.findFirstOrThrow({
      where: { emails: { has: 'ada@analytical.example' } },
      include: { company: true },
    });
    expect(ada).toMatchObject({
      name: 'Ada Lovelace',
      phones: ['+44 20 7946 0001'],
      company: { name: 'Analytical Engines' },
    });
    expect(await t.db.prisma.company.count({ where: { name: 'Quotes "R" Us' } })).toBe(1);
    await page.screenshot({ path: artifactPath('console-import.png'), fullPage: true });

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect
      .poll(() => summary())
      .toContain('0 new companies and 0 new contacts were created, 0 were updated, 4 unchanged');
    expect(await added(start)).toEqual({ companies: 3, contacts: 4 });
  });

  it('from the CLI: Salesforce accounts (a bad website named by line), Pipedrive people; exit 1 only with bad rows', async () => {
    const dry = await importCli(['--customers', fixture('salesforce-accounts.csv'), '--dry-run'], t.url!);
    expect(dry.out).toContain('Read as Salesforce');
    expect(dry.out).toContain('line 4: "gmail.com" is not a company domain or website.');
    expect(dry.out).toContain('Dry run: nothing was changed.');
    expect(dry.code).toBe(1);
    expect(await t.db.prisma.company.count({ where: { name: 'Northwind Traders' } })).toBe(0);

    const real = await importCli(['--customers', fixture('salesforce-accounts.csv')], t.url!);
    expect(real.out).toContain('3 rows: 2 new companies and 0 new contacts were created');
    const northwind = await t.db.prisma.company.findFirstOrThrow({ where: { name: 'Northwind Traders' } });
    expect(northwind.domains).toEqual(['northwind.example']);

    const people = await importCli(['--customers', fixture('pipedrive-people.csv')], t.url!);
    expect(people.code).toBe(0);
    expect(people.out).toContain('Read as Pipedrive');
    const lin = await t.db.prisma.contact.findFirstOrThrow({ where: { name: 'Lin Wei' }, include: { company: true } });
    expect(lin.company).toMatchObject({ name: 'Dragon Trading', domains: ['dragon.example'] });
    const again = await importCli(['--customers', fixture('pipedrive-people.csv')], t.url!);
    expect(again.out).toContain('2 unchanged, 0 with problems');
  });
});
