/**
 * Customer lookup and `log` latency at 100,000 companies and 200,000 contacts, on PGlite and PostgreSQL.
 * Run: npm run bench:lookup  (RAPPORT_BENCH_COMPANIES / RAPPORT_BENCH_SKIP_POSTGRES=1 to change scale / skip).
 * Lookup is measured in-process through the service (not HTTP); log through executeCommand with no-op hooks
 * (classification excluded). Targets: lookup p95 <= 25 ms, log p95 <= 50 ms.
 */
import { randomUUID } from 'node:crypto';
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
/** Lookups per query kind (exact, typo, suffix, domain, email, contact). */
const QUERIES_PER_KIND = Number(process.env.RAPPORT_BENCH_QUERIES_PER_KIND ?? 300);
const LOG_RUNS = 300;

// Deterministic data so both databases get the same rows and queries. mulberry32: the earlier
// floating-point LCG lost precision above 2^53 and cycled after ~10,000 draws, so making 100,000
// distinct company names never finished (that, not the INSERTs, was the "seeding" that hung).
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const SYL = [
  'ac',
  'me',
  'glo',
  'bex',
  'ini',
  'tech',
  'um',
  'bre',
  'lla',
  'sta',
  'rk',
  'way',
  'ne',
  'vor',
  'en',
  'tix',
  'zen',
  'dal',
  'qua',
  'ri',
  'mon',
  'tor',
  'lex',
  'pha',
  'nor',
  'dic',
  'sol',
  'ar',
  'kin',
  'vel',
  'ox',
  'ly',
  'tri',
  'cor',
  'pex',
  'hal',
  'cy',
  'on',
  'bel',
  'mar',
];
const WORDS = [
  'Logistics',
  'Systems',
  'Foods',
  'Labs',
  'Partners',
  'Energy',
  'Media',
  'Health',
  'Retail',
  'Capital',
  'Robotics',
  'Textiles',
];
const SUFFIXES = ['Inc.', 'LLC', 'Ltd', 'GmbH', 'SA', 'BV', 'Corp.', ''];
const FIRST = [
  'Jo',
  'Sam',
  'Alex',
  'Maria',
  'Chen',
  'Priya',
  'Lars',
  'Aiko',
  'Omar',
  'Ines',
  'Tom',
  'Eva',
  'Raj',
  'Lea',
  'Nina',
  'Ivan',
  'Sofia',
  'Yuki',
  'Ben',
  'Ada',
];
const LAST = [
  'Miller',
  'Smith',
  'Garcia',
  'Tanaka',
  'Nguyen',
  'Schmidt',
  'Rossi',
  'Kowalski',
  'Silva',
  'Haddad',
  'Larsen',
  'Okafor',
  'Dubois',
  'Novak',
  'Khan',
  'Ito',
  'Berg',
  'Costa',
  'Meyer',
  'Patel',
];

interface SeedCompany {
  name: string;
  base: string;
  domain: string;
}

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
    companies.push({
      name: suffix ? `${base} ${suffix}` : base,
      base,
      domain: `${base.toLowerCase().replace(/[^a-z0-9]+/g, '')}.com`,
    });
  }
  const contacts = [];
  for (let i = 0; i < CONTACTS; i++) {
    const company = i % COMPANIES;
    const first = pick(FIRST);
    // Surnames from syllables too: 20 stock surnames over 200,000 people would make every name a near-duplicate.
    const last =
      rand() < 0.3 ? pick(LAST) : `${pick(SYL)}${pick(SYL)}${pick(SYL)}`.replace(/^./, (ch) => ch.toUpperCase());
    contacts.push({
      company,
      name: `${first} ${last}`,
      email: `${first}.${last}.${i}@${companies[company].domain}`.toLowerCase(),
    });
  }
  return { companies, contacts };
}

/**
 * Loads the rows with one INSERT ... SELECT FROM unnest(arrays) per few thousand rows (a handful of
 * parameters instead of thousands), with the secondary indexes dropped during the load and rebuilt
 * from their own definitions afterwards (one sort per index instead of 300,000 index insertions).
 */
async function seedDatabase(db: Database, data: ReturnType<typeof makeData>): Promise<string[]> {
  const indexes = await db.sql.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('Company', 'Contact') AND indexname NOT LIKE '%_pkey'`,
  );
  for (const ix of indexes) await db.sql.exec(`DROP INDEX "${ix.indexname}"`);
  const ids = data.companies.map(() => randomUUID());
  const batch = 10_000;
  for (let i = 0; i < data.companies.length; i += batch) {
    const rows = data.companies.slice(i, i + batch);
    await db.sql.query(
      `INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt")
       SELECT id, name, nn, ARRAY[domain], now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(id, name, nn, domain)`,
      [
        ids.slice(i, i + batch),
        rows.map((c) => c.name),
        rows.map((c) => normalizeCompanyName(c.name)),
        rows.map((c) => c.domain),
      ],
    );
  }
  for (let i = 0; i < data.contacts.length; i += batch) {
    const rows = data.contacts.slice(i, i + batch);
    await db.sql.query(
      `INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "updatedAt")
       SELECT gen_random_uuid(), company, name, nn, ARRAY[email], now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u(company, name, nn, email)`,
      [
        rows.map((c) => ids[c.company]),
        rows.map((c) => c.name),
        rows.map((c) => normalizePersonName(c.name)),
        rows.map((c) => c.email),
      ],
    );
  }
  for (const ix of indexes) await db.sql.exec(ix.indexdef);
  await db.sql.exec('ANALYZE "Company"; ANALYZE "Contact"');
  return ids;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** One random edit (substitution, deletion, insertion or swap of neighbours), never on the first letter. */
function edit(word: string): string {
  const i = 1 + Math.floor(rand() * (word.length - 2));
  switch (Math.floor(rand() * 4)) {
    case 0:
      return word.slice(0, i) + pick([...LETTERS]) + word.slice(i + 1);
    case 1:
      return word.slice(0, i) + word.slice(i + 1);
    case 2:
      return word.slice(0, i) + pick([...LETTERS]) + word.slice(i);
    default:
      return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  }
}

const KINDS = ['exact', 'typo', 'suffix', 'domain', 'email', 'contact'] as const;
type QueryKind = (typeof KINDS)[number];

/** `perKind` queries of each kind, interleaved, each with the company it was made from. */
function makeQueries(
  data: ReturnType<typeof makeData>,
  perKind: number,
): Array<{ kind: QueryKind; q: string; company: number }> {
  const out: Array<{ kind: QueryKind; q: string; company: number }> = [];
  for (let n = 0; n < perKind; n++) {
    for (const kind of KINDS) {
      const company = Math.floor(rand() * data.companies.length);
      const c = data.companies[company];
      const contact = data.contacts[Math.floor(rand() * data.contacts.length)];
      const base = c.base.toLowerCase();
      const typo = () => (rand() < 0.5 || base.length < 8 ? edit(base) : edit(edit(base)));
      const q = {
        exact: c.name,
        typo: typo(),
        suffix: `${c.base} Inc.`,
        domain: c.domain,
        email: contact.email,
        contact: contact.name,
      }[kind];
      out.push({ kind, q, company: kind === 'email' || kind === 'contact' ? contact.company : company });
    }
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms  p95 ${pct(xs, 95).toFixed(1)} ms  max ${Math.max(...xs).toFixed(1)} ms`;

async function benchOne(kind: 'pglite' | 'postgres', data: ReturnType<typeof makeData>): Promise<void> {
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const db = await openDatabase({ databaseUrl: scratch?.url });
  try {
    let t0 = performance.now();
    const ids = await seedDatabase(db, data);
    console.log(
      `[${kind}] seeded ${COMPANIES} companies + ${CONTACTS} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    seed = 7;
    const queries = makeQueries(data, QUERIES_PER_KIND);
    for (const { q } of queries.slice(0, 60)) await lookupCustomer(db, q); // warm-up
    const byKind = new Map<QueryKind, { ms: number[]; top: number; listed: number }>();
    const all: number[] = [];
    for (const { kind: k, q, company } of queries) {
      t0 = performance.now();
      const matches = await lookupCustomer(db, q);
      const ms = performance.now() - t0;
      all.push(ms);
      const stats = byKind.get(k) ?? { ms: [], top: 0, listed: 0 };
      stats.ms.push(ms);
      if (matches[0]?.companyId === ids[company]) stats.top++;
      if (matches.some((m) => m.companyId === ids[company])) stats.listed++;
      byKind.set(k, stats);
    }
    console.log(`[${kind}] lookup (${queries.length} queries): ${fmt(all)}`);
    // "first" = the company the query was made from is ranked first; "listed" = it is among the matches shown.
    // Contact names repeat across companies ("Jo Miller"), so for contacts only "listed" is meaningful.
    for (const [k, s] of byKind) {
      console.log(
        `[${kind}]   ${k.padEnd(8)} ${fmt(s.ms)}  first ${((100 * s.top) / s.ms.length).toFixed(0)}%  listed ${((100 * s.listed) / s.ms.length).toFixed(0)}%`,
      );
    }

    const deps = { db, hooks: noopPipelineHooks };
    const logTimes: number[] = [];
    for (let i = 0; i < LOG_RUNS + 30; i++) {
      const c = data.companies[Math.floor(rand() * data.companies.length)];
      const ctx = {
        actor: {
          platform: 'console' as const,
          platformUserId: 'bench',
          displayName: 'Bench',
          timezone: 'Europe/Berlin',
        },
        now: new Date(),
        requestKey: `bench-${kind}-${i}`,
      };
      t0 = performance.now();
      const reply = await executeCommand(
        `log "${c.name}" Called about the renewal, wants a quote --via call`,
        ctx,
        deps,
      );
      const ms = performance.now() - t0;
      if (reply.tone !== 'success') throw new Error(`log failed: ${reply.text}`);
      if (i >= 30) logTimes.push(ms); // first 30 warm up
    }
    console.log(`[${kind}] log command (${LOG_RUNS} runs, classification excluded): ${fmt(logTimes)}`);
  } finally {
    await db.close();
    await scratch?.drop();
  }
}

const data = makeData();
await benchOne('pglite', data);
if (process.env.RAPPORT_BENCH_SKIP_POSTGRES !== '1') await benchOne('postgres', data);
console.log('Targets: lookup p95 <= 25 ms, log p95 <= 50 ms.');
