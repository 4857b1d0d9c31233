/**
 * Lookup latency of Chinese names (character pairs, LIKE: no index serves them) against Latin names
 * (trigram index) in the same run, at RAPPORT_BENCH_COMPANIES companies of which 5% have Chinese names,
 * on PGlite and PostgreSQL. Run: npx tsx bench/lookup-cjk.bench.ts (RAPPORT_BENCH_SKIP_POSTGRES=1 to skip).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { normalizeCompanyName } from '../src/domain/normalize-company-name.ts';
import { lookupCustomer } from '../src/services/lookup-customer.service.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';

const COMPANIES = Number(process.env.RAPPORT_BENCH_COMPANIES ?? 100_000);
const QUERIES = Number(process.env.RAPPORT_BENCH_QUERIES_PER_KIND ?? 200);

let seed = 7;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const HAN = [...'华为腾讯阿里巴小米比亚迪京东美团百度字节跳动网易新浪携程滴滴拼多快手蔚来理想中兴联想海尔格力'];
const TRADES = ['技术', '科技', '网络', '通讯', '汽车', '物流', '贸易', '电子', '医药', '食品'];
const PLACES = ['', '', '', '深圳市', '北京', '上海'];
const FORMS = ['有限公司', '股份有限公司', '集团有限公司', '有限责任公司'];
const SYL = ['ac', 'me', 'glo', 'bex', 'ini', 'tech', 'um', 'bre', 'sta', 'rk', 'way', 'ne', 'vor', 'tix', 'zen'];

function makeNames(): { latin: string[]; chinese: Array<{ name: string; brand: string }> } {
  const latin = new Set<string>();
  const chinese = new Map<string, string>();
  const cjkCount = Math.round(COMPANIES * 0.05);
  while (chinese.size < cjkCount) {
    const brand = Array.from({ length: 2 + Math.floor(rand() * 2) }, () => pick(HAN)).join('');
    chinese.set(`${pick(PLACES)}${brand}${pick(TRADES)}${pick(FORMS)}`, brand);
  }
  while (latin.size < COMPANIES - cjkCount) {
    latin.add(
      `${Array.from({ length: 2 + Math.floor(rand() * 3) }, () => pick(SYL)).join('')} ${pick(['Inc.', 'GmbH', 'Ltd'])}`,
    );
  }
  return { latin: [...latin], chinese: [...chinese].map(([name, brand]) => ({ name, brand })) };
}

async function seedDatabase(db: Database, names: string[]): Promise<void> {
  const normalized = new Set<string>();
  const rows = names.filter((n) => {
    const nn = normalizeCompanyName(n);
    if (normalized.has(nn)) return false;
    normalized.add(nn);
    return true;
  });
  for (let i = 0; i < rows.length; i += 10_000) {
    const batch = rows.slice(i, i + 10_000);
    await db.sql.query(
      `INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt")
       SELECT id, name, nn, ARRAY[]::text[], now() FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, name, nn)`,
      [batch.map(() => randomUUID()), batch, batch.map((n) => normalizeCompanyName(n))],
    );
  }
  await db.sql.exec('ANALYZE "Company"');
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

async function measure(kind: string, db: Database, names: ReturnType<typeof makeNames>): Promise<void> {
  const queries: Record<string, string[]> = {
    'latin exact': [],
    'latin typo': [],
    '中文 brand prefix (华为)': [],
    '中文 full name': [],
    '中文 one wrong character': [],
  };
  for (let i = 0; i < QUERIES; i++) {
    const l = pick(names.latin).split(' ')[0];
    queries['latin exact'].push(l);
    queries['latin typo'].push(l.slice(0, 2) + l.slice(3));
    const c = pick(names.chinese);
    queries['中文 brand prefix (华为)'].push(c.brand);
    queries['中文 full name'].push(c.name);
    const chars = [...normalizeCompanyName(c.name)];
    chars[chars.length - 1] = pick(HAN);
    queries['中文 one wrong character'].push(chars.join(''));
  }
  for (const [what, qs] of Object.entries(queries)) {
    const times: number[] = [];
    let found = 0;
    for (const q of qs) {
      const t0 = performance.now();
      const m = await lookupCustomer(db, q);
      times.push(performance.now() - t0);
      if (m.length > 0) found++;
    }
    console.log(
      `${kind.padEnd(9)} ${what.padEnd(26)} p50 ${percentile(times, 0.5).toFixed(1)} ms  p95 ${percentile(times, 0.95).toFixed(1)} ms  found ${found}/${qs.length}`,
    );
  }
}

const names = makeNames();
console.log(
  `${COMPANIES} companies (${names.chinese.length} Chinese), load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const kinds = process.env.RAPPORT_BENCH_SKIP_POSTGRES === '1' ? ['pglite'] : ['pglite', 'postgres'];
for (const kind of kinds) {
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const db = await openDatabase(scratch ? { databaseUrl: scratch.url } : {});
  try {
    await seedDatabase(db, [...names.latin, ...names.chinese.map((c) => c.name)]);
    await measure(kind, db, names);
  } finally {
    await db.close();
    await scratch?.drop();
  }
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
