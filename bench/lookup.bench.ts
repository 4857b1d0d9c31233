/**
 * Customer lookup and `log` latency at 100,000 companies and 200,000 contacts, on PGlite and PostgreSQL.
 * Run: npm run bench:lookup  (RAPPORT_BENCH_COMPANIES / RAPPORT_BENCH_SKIP_POSTGRES=1 to change scale / skip).
 * Lookup is measured in-process through the service (not HTTP); log through executeCommand with no-op hooks
 * (classification excluded). Targets: lookup p95 <= 25 ms, log p95 <= 50 ms.
 */
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { normalizeCompanyName, normalizePersonName } from '../src/domain/normalize-company-name.ts';
import { lookupCustomer } from '../src/services/lookup-customer.service.ts';
import { executeCommand } from '../src/commands/execute-command.ts';
import { noopPipelineHooks } from '../src/services/pipeline-hooks.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';

const COMPANIES = Number(process.env.RAPPORT_BENCH_COMPANIES ?? 100_000);
const CONTACTS = COMPANIES * 2;
const QUERIES = 300;

// Deterministic data so both databases get the same rows and queries.
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const SYL = ['ac', 'me', 'glo', 'bex', 'ini', 'tech', 'um', 'bre', 'lla', 'sta', 'rk', 'way', 'ne', 'vor', 'en', 'tix', 'zen', 'dal', 'qua', 'ri', 'mon', 'tor', 'lex', 'pha', 'nor', 'dic', 'sol', 'ar', 'kin', 'vel', 'ox', 'ly', 'tri', 'cor', 'pex', 'hal', 'cy', 'on', 'bel', 'mar'];
const WORDS = ['Logistics', 'Systems', 'Foods', 'Labs', 'Partners', 'Energy', 'Media', 'Health', 'Retail', 'Capital', 'Robotics', 'Textiles'];
const SUFFIXES = ['Inc.', 'LLC', 'Ltd', 'GmbH', 'SA', 'BV', 'Corp.', ''];
const FIRST = ['Jo', 'Sam', 'Alex', 'Maria', 'Chen', 'Priya', 'Lars', 'Aiko', 'Omar', 'Ines', 'Tom', 'Eva', 'Raj', 'Lea', 'Nina', 'Ivan', 'Sofia', 'Yuki', 'Ben', 'Ada'];
const LAST = ['Miller', 'Smith', 'Garcia', 'Tanaka', 'Nguyen', 'Schmidt', 'Rossi', 'Kowalski', 'Silva', 'Haddad', 'Larsen', 'Okafor', 'Dubois', 'Novak', 'Khan', 'Ito', 'Berg', 'Costa', 'Meyer', 'Patel'];

interface SeedCompany { name: string; base: string; domain: string }

function makeData(): { companies: SeedCompany[]; contacts: Array<{ company: number; name: string; email: string }> } {
  const companies: SeedCompany[] = [];
  const used = new Set<string>();
  while (companies.length < COMPANIES) {
    const n = 2 + Math.floor(rand() * 3);
    let base = '';
    for (let i = 0; i < n; i++) base += pick(SYL);
    base = base[0].toUpperCase() + base.slice(1);
    if (rand() < 0.5) base += ` ${pick(WORDS)}`;
    if (used.has(base)) continue;
    used.add(base);
    const suffix = pick(SUFFIXES);
    companies.push({ name: suffix ? `${base} ${suffix}` : base, base, domain: `${base.toLowerCase().replace(/[^a-z0-9]+/g, '')}.com` });
  }
  const contacts = [];
  for (let i = 0; i < CONTACTS; i++) {
    const company = i % COMPANIES;
    const first = pick(FIRST);
    // Surnames from syllables too: 20 stock surnames over 200,000 people would make every name a near-duplicate.
    const last = rand() < 0.3 ? pick(LAST) : `${pick(SYL)}${pick(SYL)}${pick(SYL)}`.replace(/^./, (ch) => ch.toUpperCase());
    contacts.push({ company, name: `${first} ${last}`, email: `${first}.${last}.${i}@${companies[company].domain}`.toLowerCase() });
  }
  return { companies, contacts };
}

async function seedDatabase(db: Database, data: ReturnType<typeof makeData>): Promise<string[]> {
  // Build the trigram indexes once after the load instead of maintaining them row by row.
  await db.sql.exec('DROP INDEX IF EXISTS "Company_normalizedName_trgm_idx"; DROP INDEX IF EXISTS "Contact_normalizedName_trgm_idx"');
  const ids: string[] = [];
  const batch = 2000;
  for (let i = 0; i < data.companies.length; i += batch) {
    const rows = data.companies.slice(i, i + batch);
    const params: unknown[] = [];
    const values = rows.map((c, j) => {
      params.push(c.name, normalizeCompanyName(c.name), [c.domain]);
      return `(gen_random_uuid(), $${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3}::text[], now())`;
    });
    const inserted = await db.sql.query<{ id: string }>(`INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt") VALUES ${values.join(',')} RETURNING id`, params);
    ids.push(...inserted.map((r) => r.id));
  }
  for (let i = 0; i < data.contacts.length; i += batch) {
    const rows = data.contacts.slice(i, i + batch);
    const params: unknown[] = [];
    const values = rows.map((c, j) => {
      params.push(ids[c.company], c.name, normalizePersonName(c.name), [c.email]);
      return `(gen_random_uuid(), $${j * 4 + 1}::uuid, $${j * 4 + 2}, $${j * 4 + 3}, $${j * 4 + 4}::text[], now())`;
    });
    await db.sql.query(`INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "updatedAt") VALUES ${values.join(',')}`, params);
  }
  await db.sql.exec(`CREATE INDEX "Company_normalizedName_trgm_idx" ON "Company" USING GIN ("normalizedName" gin_trgm_ops);
    CREATE INDEX "Contact_normalizedName_trgm_idx" ON "Contact" USING GIN ("normalizedName" gin_trgm_ops);
    ANALYZE "Company"; ANALYZE "Contact";`);
  return ids;
}

function typo(word: string): string {
  const i = 1 + Math.floor(rand() * (word.length - 2));
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2); // swap two letters
}

function makeQueries(data: ReturnType<typeof makeData>): Array<{ kind: string; q: string }> {
  const kinds = ['exact', 'typo', 'suffix', 'domain', 'email', 'contact'];
  return Array.from({ length: QUERIES }, (_, i) => {
    const kind = kinds[i % kinds.length];
    const c = data.companies[Math.floor(rand() * data.companies.length)];
    const contact = data.contacts[Math.floor(rand() * data.contacts.length)];
    const q = { exact: c.name, typo: typo(c.base.toLowerCase()), suffix: `${c.base} Inc.`, domain: c.domain, email: contact.email, contact: contact.name }[kind]!;
    return { kind, q };
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(1)} ms  p95 ${pct(xs, 95).toFixed(1)} ms  max ${Math.max(...xs).toFixed(1)} ms`;

async function benchOne(kind: 'pglite' | 'postgres', data: ReturnType<typeof makeData>): Promise<void> {
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const db = await openDatabase({ databaseUrl: scratch?.url });
  try {
    let t0 = performance.now();
    await seedDatabase(db, data);
    console.log(`[${kind}] seeded ${COMPANIES} companies + ${CONTACTS} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    seed = 7;
    const queries = makeQueries(data);
    for (const { q } of queries.slice(0, 30)) await lookupCustomer(db, q); // warm-up
    const byKind = new Map<string, number[]>();
    const all: number[] = [];
    let found = 0;
    for (const { kind: k, q } of queries) {
      t0 = performance.now();
      const matches = await lookupCustomer(db, q);
      const ms = performance.now() - t0;
      if (matches.length > 0) found++;
      all.push(ms);
      byKind.set(k, [...(byKind.get(k) ?? []), ms]);
    }
    console.log(`[${kind}] lookup (${queries.length} queries, ${found} with matches): ${fmt(all)}`);
    for (const [k, xs] of byKind) console.log(`[${kind}]   ${k.padEnd(8)} ${fmt(xs)}`);

    const deps = { db, hooks: noopPipelineHooks };
    const logTimes: number[] = [];
    for (let i = 0; i < 130; i++) {
      const c = data.companies[Math.floor(rand() * data.companies.length)];
      const ctx = { actor: { platform: 'console' as const, platformUserId: 'bench', displayName: 'Bench', timezone: 'Europe/Berlin' }, now: new Date(), requestKey: `bench-${kind}-${i}` };
      t0 = performance.now();
      const reply = await executeCommand(`log "${c.name}" Called about the renewal, wants a quote --via call`, ctx, deps);
      const ms = performance.now() - t0;
      if (reply.tone !== 'success') throw new Error(`log failed: ${reply.text}`);
      if (i >= 30) logTimes.push(ms); // first 30 warm up
    }
    console.log(`[${kind}] log command (100 runs, classification excluded): ${fmt(logTimes)}`);
  } finally {
    await db.close();
    await scratch?.drop();
  }
}

const data = makeData();
await benchOne('pglite', data);
if (process.env.RAPPORT_BENCH_SKIP_POSTGRES !== '1') await benchOne('postgres', data);
console.log('Targets: lookup p95 <= 25 ms, log p95 <= 50 ms.');
