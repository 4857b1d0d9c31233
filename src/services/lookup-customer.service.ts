import type { Database } from '../db/database.ts';
import { findCjkNameCandidates } from '../db/cjk-name-candidates.repository.ts';
import {
  findCompaniesByContactEmail,
  findCompaniesHoldingDomain,
  findSimilarNameRows,
  findTypoNameRows,
  type NameRow,
} from '../db/customer-lookup.repository.ts';
import { findExactNameRowsBatched } from './exact-name-batcher.ts';
import { bigramSimilarity, wordBoundaryAt } from '../domain/cjk-name-match.ts';
import { editDistance } from '../domain/edit-distance.ts';
import {
  emailDomain,
  FREE_MAIL_DOMAINS,
  hasCjk,
  normalizeCompanyName,
  normalizeDomain,
  domainForms,
  emailForms,
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
  /** A prefix match that ends at a word boundary: "zyxwell" for "Zyxwell Industries" (not "zyx"). */
  wholeWordPrefix?: boolean;
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

/**
 * Trigram similarity floor of the first, index-driven pass. High on purpose: with pg_trgm's default 0.3 the
 * GIN scan reads nearly every posting list of the query's trigrams (23-45 ms at 100,000 companies); at 0.6
 * it can skip most of them (about 2 ms) and still finds one-typo names and whole-name prefixes/words.
 */
const STRICT_SIMILARITY = 0.6;
/** Most edits a typo pass tolerates (see scoreRow); bounds the length window of the second pass. */
const MAX_TYPO_EDITS = 2;

/**
 * Finds customers for what a rep typed: company name, contact name, email or domain. Tolerates case,
 * punctuation, legal suffixes ("ACME Corp." = "acme") and one or two typos; returns at most one match
 * per company, best first.
 */
export async function lookupCustomer(db: Database, typed: string, opts: LookupOptions = {}): Promise<CustomerMatch[]> {
  const limit = opts.limit ?? 8;
  // "@globex.com": a domain written the way it appears after the @ of an address.
  const query = typed.trim().replace(/^@(?=[^@\s]+\.[^@\s]+$)/, '');
  const found: CustomerMatch[] = [];
  const email = normalizeEmail(query);
  const domain = email ? emailDomain(email) : normalizeDomain(query);
  if (email) {
    const rows = await findCompaniesByContactEmail(db.sql, emailForms(email));
    for (const r of rows)
      found.push({
        companyId: r.id,
        companyName: r.name,
        matchedOn: 'email',
        matchedText: email,
        kind: 'exact',
        score: 1000,
      });
  }
  if (domain && !(email && FREE_MAIL_DOMAINS.has(domain))) {
    const rows = await findCompaniesHoldingDomain(db.sql, domainForms(domain));
    for (const r of rows)
      found.push({
        companyId: r.id,
        companyName: r.name,
        matchedOn: 'domain',
        matchedText: domain,
        kind: 'exact',
        score: email ? 950 : 1000,
      });
  }
  if (!email && !(domain && found.length > 0)) {
    const name = normalizeCompanyName(domain ? domain.split('.')[0] : query);
    const person = normalizePersonName(query);
    // Exact names (btree) first: when the name or a contact's name matches exactly, the similarity
    // search cannot rank anything above it, so skip its cost.
    const exact = await matchExactNames(db, name, person);
    found.push(...exact);
    if (!opts.exactOnly && exact.length === 0) {
      if (name.length >= 2)
        found.push(...(await (hasCjk(name) ? matchCjkNames(db, name, person) : matchNames(db, name, person))));
      // Two typos, or one in a short name, fall under the strict threshold: look among the company names
      // that start with the same letter and are about as long, which is where such a typo lives.
      if (name.length >= 3 && !found.some((m) => m.score >= 400)) found.push(...(await matchTypos(db, name)));
    }
  }
  const best = new Map<string, CustomerMatch>();
  for (const m of found) {
    const prev = best.get(m.companyId);
    if (!prev || m.score > prev.score) best.set(m.companyId, m);
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score || a.companyName.localeCompare(b.companyName))
    .slice(0, limit);
}

/**
 * The match to act on without asking: the only one, or an exact one clearly ahead of the rest. With
 * `requireExact` (writes), also a whole-word prefix that only one customer has: "zyxwell" for
 * "Zyxwell Industries" is what reps type, and nothing else starts that way.
 */
export function confidentMatch(
  matches: CustomerMatch[],
  opts: { requireExact?: boolean } = {},
): CustomerMatch | undefined {
  const [top, second] = matches;
  if (!top) return undefined;
  if (top.score >= EXACT_SCORE) return !second || second.score < EXACT_SCORE ? top : undefined;
  if (opts.requireExact) {
    const uniquePrefix =
      top.kind === 'prefix' && top.wholeWordPrefix && !matches.slice(1).some((m) => m.kind !== 'similar');
    return uniquePrefix ? top : undefined;
  }
  if (!second) return top;
  return top.score - second.score >= 150 ? top : undefined;
}

async function matchExactNames(db: Database, name: string, person: string): Promise<CustomerMatch[]> {
  const rows = await findExactNameRowsBatched(db.sql, name, person);
  return rows
    .map((r) => scoreRow(r, r.contact === null ? name : person, r.contact === null ? 'name' : 'contact'))
    .filter((m): m is CustomerMatch => m !== undefined);
}

/**
 * Index-driven pass: prefix ("acme wid"), whole word inside the name ("industries") and close names
 * (`%` at {@link STRICT_SIMILARITY}, served by the GIN trigram index), for companies and contacts.
 */
async function matchNames(db: Database, name: string, person: string): Promise<CustomerMatch[]> {
  const { companies, contacts } = await findSimilarNameRows(db, name, person, STRICT_SIMILARITY);
  return [
    ...companies.map((r) => scoreRow(r, name, 'name')),
    ...contacts.map((r) => scoreRow(r, person, 'contact')),
  ].filter((m): m is CustomerMatch => m !== undefined);
}

/** The pass for names written in Chinese, Japanese or Korean: character pairs, scored here like the others. */
async function matchCjkNames(db: Database, name: string, person: string): Promise<CustomerMatch[]> {
  const { companies, contacts } = await findCjkNameCandidates(db, name, person);
  return [
    ...companies.map((r) => scoreRow(r, name, 'name')),
    ...contacts.map((r) => scoreRow(r, person, 'contact')),
  ].filter((m): m is CustomerMatch => m !== undefined);
}

/**
 * Typo pass on company names: candidates share the first letter (people rarely mistype it) and are, or
 * start with a word that is, within {@link MAX_TYPO_EDITS} characters of the typed length, read by a range on the btree index; the most
 * similar are scored. A few thousand rows at most at 100,000 companies, where a trigram scan at a low
 * threshold reads most of the index.
 */
async function matchTypos(db: Database, name: string): Promise<CustomerMatch[]> {
  const rows = await findTypoNameRows(db.sql, name, MAX_TYPO_EDITS);
  return rows.map((r) => scoreRow(r, name, 'name')).filter((m): m is CustomerMatch => m !== undefined);
}

function scoreRow(r: NameRow, query: string, matchedOn: 'name' | 'contact'): CustomerMatch | undefined {
  const base = { companyId: r.id, companyName: r.name, matchedOn, matchedText: r.contact ?? r.name };
  const cjk = hasCjk(query);
  // pg_trgm's similarity of Han text depends on the database locale: compare character pairs instead.
  const sim = cjk ? bigramSimilarity(r.nn, query) : Number(r.sim);
  const contactPenalty = matchedOn === 'contact' ? 50 : 0;
  if (r.nn === query) return { ...base, kind: 'exact', score: 1000 - contactPenalty };
  if (r.nn.startsWith(query)) {
    // A whole-word prefix ("acme" in "acme widgets", 华为 in 华为技术) beats a partial one ("acm" in "acmetrics").
    const wholeWord = cjk ? query.length >= 2 && wordBoundaryAt(r.nn, query.length) : r.nn[query.length] === ' ';
    return {
      ...base,
      kind: 'prefix',
      wholeWordPrefix: wholeWord,
      score: 600 + (wholeWord ? 50 : 0) + Math.round(sim * 100) - contactPenalty,
    };
  }
  // 腾讯 inside 深圳市腾讯计算机系统: a name written without spaces names its brand after a place.
  const inside = cjk && query.length >= 2 ? r.nn.indexOf(query) : -1;
  if (inside > 0 && wordBoundaryAt(r.nn, inside + query.length))
    return { ...base, kind: 'similar', score: 550 + Math.round(sim * 100) - contactPenalty };
  // Typos: edit distance on the whole name counts more than shared trigrams, which short names have few of.
  // A Chinese character carries a word's worth of meaning: one wrong character in three or more is a typo.
  const maxEdits = cjk ? (query.length >= 3 ? 1 : 0) : query.length >= 6 ? 2 : query.length >= 4 ? 1 : 0;
  // A typo in the first word(s) of a longer name ("zywell" for "Zyxwell Industries") counts too.
  const head = cjk ? r.nn.slice(0, query.length) : r.nn.split(' ').slice(0, query.split(' ').length).join(' ');
  const distance = Math.min(editDistance(r.nn, query, 2), head === r.nn ? 3 : editDistance(head, query, 2));
  const typoBonus = distance <= maxEdits ? 300 - distance * 60 : 0;
  const score = Math.round(sim * 400) + typoBonus - contactPenalty;
  if (typoBonus === 0 && sim < 0.3) return undefined;
  return { ...base, kind: 'similar', score };
}
