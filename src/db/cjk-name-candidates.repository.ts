import { characterBigrams } from '../domain/cjk-name-match.ts';
import type { Database } from './database.ts';

/** A company (or a contact's company) whose name shares characters with what was typed. */
interface CandidateRow {
  id: string;
  name: string;
  /** The normalized company or contact name. */
  nn: string;
  sim: number;
  /** The contact's name when the row matched a contact, else null. */
  contact: string | null;
}

/**
 * Candidates for a name written in Chinese, Japanese or Korean: companies and contacts whose normalized
 * name shares a pair of neighbouring characters with it (LIKE, which every database locale reads the
 * same; pg_trgm finds no trigram in Han text under LC_CTYPE C), prefixes first, then the most shared
 * pairs and characters, 20 of each. No index serves a two-character LIKE pattern, so this reads the
 * name columns (see bench/lookup-cjk.bench.ts); `sim` is left 0 for the caller to compute.
 */
export async function findCjkNameCandidates(
  db: Database,
  name: string,
  person: string,
): Promise<{ companies: CandidateRow[]; contacts: CandidateRow[] }> {
  // LIKE patterns are safe to build: normalized names hold only letters, digits and single spaces.
  const patterns = (text: string) => characterBigrams(text).map((pair) => `%${pair}%`);
  const letters = (text: string) => [...new Set(text.replace(/\s+/g, ''))].map((c) => `%${c}%`);
  const ranked = (column: string) =>
    `(${column} LIKE $2) DESC,
     (SELECT 2 * count(*) FROM unnest($1::text[]) p WHERE ${column} LIKE p)
       + (SELECT count(*) FROM unnest($3::text[]) p WHERE ${column} LIKE p) DESC,
     length(${column})`;
  const companies = await db.sql.query<CandidateRow>(
    `SELECT id, name, "normalizedName" AS nn, 0 AS sim, NULL AS contact FROM "Company"
     WHERE "normalizedName" LIKE ANY($1::text[])
     ORDER BY ${ranked('"normalizedName"')}, id LIMIT 20`,
    [patterns(name), `${name}%`, letters(name)],
  );
  const contacts =
    person.length >= 2
      ? await db.sql.query<CandidateRow>(
          `SELECT c.id, c.name, ct."normalizedName" AS nn, 0 AS sim, ct.name AS contact
           FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId"
           WHERE ct."normalizedName" LIKE ANY($1::text[])
           ORDER BY ${ranked('ct."normalizedName"')}, ct.id LIMIT 20`,
          [patterns(person), `${person}%`, letters(person)],
        )
      : [];
  return { companies, contacts };
}
