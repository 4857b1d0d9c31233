import type { Database, SqlRunner } from '../db/database.ts';
import { editDistance } from '../domain/edit-distance.ts';
import {
  emailDomain,
  FREE_MAIL_DOMAINS,
  normalizeCompanyName,
  normalizeDomain,
  normalizeEmail,
  normalizePersonName,
} from '../domain/normalize-company-name.ts';

/** How a customer matched a query; the score orders matches (exact > prefix > similar). */
export interface CustomerMatch {
  companyId: string;
  companyName: string;
  matchedOn: 'name' | 'domain' | 'email' | 'contact';
  /** What matched: the company name, domain, email or contact name. */
  matchedText: string;
  kind: 'exact' | 'prefix' | 'similar';
  score: number;
}

/** Scores at or above this are exact (name, domain, email, contact name). */
export const EXACT_SCORE = 900;

export interface LookupOptions {
  /** Most matches returned. Default 8. */
  limit?: number;
  /** Only exact matches (name, contact name, email, domain); skips the similarity search. Default false. */
  exactOnly?: boolean;
}

/** Trigram similarity floor for the second, typo-tolerant pass on short names (pg_trgm default is 0.3). */
const TYPO_SIMILARITY = 0.15;

/**
 * Finds customers for what a rep typed: company name, contact name, email or domain. Tolerates case,
 * punctuation, legal suffixes ("ACME Corp." = "acme") and one or two typos; returns at most one match
 * per company, best first.
 */
export async function lookupCustomer(db: Database, query: string, opts: LookupOptions = {}): Promise<CustomerMatch[]> {
  const limit = opts.limit ?? 8;
  const found: CustomerMatch[] = [];
  const email = normalizeEmail(query);
  const domain = email ? emailDomain(email) : normalizeDomain(query);
  if (email) {
    const rows = await db.sql.query<{ id: string; name: string }>(
      `SELECT c.id, c.name FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId"
       WHERE ct.emails @> ARRAY[$1]::text[] LIMIT 10`,
      [email],
    );
    for (const r of rows) found.push({ companyId: r.id, companyName: r.name, matchedOn: 'email', matchedText: email, kind: 'exact', score: 1000 });
  }
  if (domain && !(email && FREE_MAIL_DOMAINS.has(domain))) {
    const rows = await db.sql.query<{ id: string; name: string }>(
      `SELECT id, name FROM "Company" WHERE domains @> ARRAY[$1]::text[] LIMIT 10`,
      [domain],
    );
    for (const r of rows) found.push({ companyId: r.id, companyName: r.name, matchedOn: 'domain', matchedText: domain, kind: 'exact', score: email ? 950 : 1000 });
  }
  if (!email && !(domain && found.length > 0)) {
    const name = normalizeCompanyName(domain ? domain.split('.')[0] : query);
    const person = normalizePersonName(query);
    // Exact names (btree) first: when the name or a contact's name matches exactly, the similarity
    // search cannot rank anything above it, so skip its cost.
    const exact = await matchExactNames(db, name, person);
    found.push(...exact);
    if (!opts.exactOnly && exact.length === 0) {
      if (name.length >= 2) found.push(...(await matchNames(db, name, person, false)));
      // Short names with a typo fall under pg_trgm's default threshold; retry looser when nothing is close.
      if (name.length >= 3 && !found.some((m) => m.score >= 400)) found.push(...(await matchNames(db, name, person, true)));
    }
  }
  const best = new Map<string, CustomerMatch>();
  for (const m of found) {
    const prev = best.get(m.companyId);
    if (!prev || m.score > prev.score) best.set(m.companyId, m);
  }
  return [...best.values()].sort((a, b) => b.score - a.score || a.companyName.localeCompare(b.companyName)).slice(0, limit);
}

/** The match to act on without asking: the only one, or an exact one clearly ahead of the rest. */
export function confidentMatch(matches: CustomerMatch[], opts: { requireExact?: boolean } = {}): CustomerMatch | undefined {
  const [top, second] = matches;
  if (!top) return undefined;
  if (top.score >= EXACT_SCORE) return !second || second.score < EXACT_SCORE ? top : undefined;
  if (opts.requireExact) return undefined;
  if (!second) return top;
  return top.score - second.score >= 150 ? top : undefined;
}

interface NameRow {
  id: string;
  name: string;
  nn: string;
  sim: number;
  contact: string | null;
}

async function matchExactNames(db: Database, name: string, person: string): Promise<CustomerMatch[]> {
  const rows = await db.sql.query<NameRow>(
    `SELECT id, name, "normalizedName" AS nn, 1 AS sim, NULL AS contact FROM "Company" WHERE "normalizedName" = $1
     UNION ALL
     SELECT c.id, c.name, ct."normalizedName" AS nn, 1 AS sim, ct.name AS contact
       FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId" WHERE ct."normalizedName" = $2
     LIMIT 20`,
    [name, person],
  );
  return rows.map((r) => scoreRow(r, r.contact === null ? name : person, r.contact === null ? 'name' : 'contact')).filter((m): m is CustomerMatch => m !== undefined);
}

async function matchNames(db: Database, name: string, person: string, loose: boolean): Promise<CustomerMatch[]> {
  const companySql = `SELECT id, name, "normalizedName" AS nn, similarity("normalizedName", $1) AS sim, NULL AS contact
    FROM "Company" WHERE "normalizedName" = $1 OR "normalizedName" LIKE $2 OR "normalizedName" % $1
    ORDER BY ("normalizedName" = $1) DESC, sim DESC LIMIT 20`;
  const contactSql = `SELECT c.id, c.name, ct."normalizedName" AS nn, similarity(ct."normalizedName", $1) AS sim, ct.name AS contact
    FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId"
    WHERE ct."normalizedName" = $1 OR ct."normalizedName" LIKE $2 OR ct."normalizedName" % $1
    ORDER BY (ct."normalizedName" = $1) DESC, sim DESC LIMIT 20`;
  const run = async (sql: SqlRunner) => {
    // Two statements in parallel on PostgreSQL's pool; PGlite serialises them anyway.
    // The loose pass is for short company names with a typo; contact names keep the normal threshold.
    const [companies, contacts] = await Promise.all([
      sql.query<NameRow>(companySql, [name, `${name}%`]),
      loose ? Promise.resolve([] as NameRow[]) : sql.query<NameRow>(contactSql, [person, `${person}%`]),
    ]);
    return { companies, contacts };
  };
  const { companies, contacts } = loose
    ? await db.withSession(async (session) => {
        await session.exec(`SET pg_trgm.similarity_threshold = ${TYPO_SIMILARITY}`);
        try {
          return await run(session);
        } finally {
          await session.exec('RESET pg_trgm.similarity_threshold');
        }
      })
    : await run(db.sql);
  return [
    ...companies.map((r) => scoreRow(r, name, 'name')),
    ...contacts.map((r) => scoreRow(r, person, 'contact')),
  ].filter((m): m is CustomerMatch => m !== undefined);
}

function scoreRow(r: NameRow, query: string, matchedOn: 'name' | 'contact'): CustomerMatch | undefined {
  const base = { companyId: r.id, companyName: r.name, matchedOn, matchedText: r.contact ?? r.name };
  const sim = Number(r.sim);
  const contactPenalty = matchedOn === 'contact' ? 50 : 0;
  if (r.nn === query) return { ...base, kind: "exact", score: 1000 - contactPenalty };
  if (r.nn.startsWith(query)) {
    // A whole-word prefix ("acme" in "acme widgets") beats a partial one ("acm" in "acmetrics").
    const wordBoundary = r.nn[query.length] === ' ' ? 50 : 0;
    return { ...base, kind: 'prefix', score: 600 + wordBoundary + Math.round(sim * 100) - contactPenalty };
  }
  // Typos: edit distance on the whole name counts more than shared trigrams, which short names have few of.
  const maxEdits = query.length >= 6 ? 2 : query.length >= 4 ? 1 : 0;
  const distance = editDistance(r.nn, query, 2);
  const typoBonus = distance <= maxEdits ? 300 - distance * 60 : 0;
  const score = Math.round(sim * 400) + typoBonus - contactPenalty;
  if (typoBonus === 0 && sim < 0.3) return undefined;
  return { ...base, kind: 'similar', score };
}
