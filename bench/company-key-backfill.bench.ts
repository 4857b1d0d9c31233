/**
 * How long the start-up migration company_keys_without_legal_forms takes (issue 18): it reads every
 * company and rewrites the keys of those created before Chinese legal forms were dropped. At
 * RAPPORT_BENCH_COMPANIES companies (default 100,000), 5% with Chinese names stored under their old key
 * and 1 in 100 of those next to a newer company under the short name (merged), on PGlite and PostgreSQL.
 * Run: npx tsx bench/company-key-backfill.bench.ts (RAPPORT_BENCH_SKIP_POSTGRES=1 to skip PostgreSQL).
 */
import { COMPANY_KEY_MIGRATION } from '../src/db/company-key-backfill.ts';
import type { Database } from '../src/db/database.ts';
import { normalizeCompanyName } from '../src/domain/normalize-company-name.ts';
import { benchDatabases, timeMigration } from './time-migration.ts';

const COMPANIES = Number(process.env.RAPPORT_BENCH_COMPANIES ?? 100_000);
const CHINESE = Math.round(COMPANIES * 0.05);
const FORMS = ['有限公司', '股份有限公司', '集团有限公司', '有限责任公司'];

async function seed(db: Database): Promise<void> {
  await db.sql.query(
    `INSERT INTO "Company" (id, name, "normalizedName", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), 'Company ' || n, 'company ' || n, now() - interval '1 year', now()
       FROM generate_series(1, $1::int) AS n`,
    [COMPANIES - CHINESE],
  );
  const names: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < CHINESE; i++) {
    const name = `华${i.toString(36)}技术${FORMS[i % FORMS.length]}`;
    names.push(name);
    keys.push(normalizeCompanyName(name, { asBeforeChinese: true }));
    if (i % 100 === 0) {
      // A newer company under the short name: the migration merges it into the old one.
      names.push(`华${i.toString(36)}技术`);
      keys.push(`华${i.toString(36)}技术`);
    }
  }
  await db.sql.query(
    `INSERT INTO "Company" (id, name, "normalizedName", "createdAt", "updatedAt")
     SELECT gen_random_uuid(), n, k, now() - interval '1 day' + (o * interval '1 millisecond'), now()
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(n, k, o)`,
    [names, keys],
  );
}

for (const [label, open] of benchDatabases())
  await timeMigration(label, open, COMPANY_KEY_MIGRATION, seed, async (db, applied, seconds) => {
    const [{ n }] = await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM "Company"');
    return (
      `${COMPANIES.toLocaleString('en')} companies (${CHINESE.toLocaleString('en')} old Chinese keys) -> ` +
      `${applied.join(', ')} in ${seconds} s; ${n.toLocaleString('en')} companies after merges`
    );
  });
