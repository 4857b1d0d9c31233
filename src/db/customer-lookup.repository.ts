import type { Database, SqlRunner } from './database.ts';

/** A company (or a contact's company) a name query found. */
export interface NameRow {
  id: string;
  name: string;
  /** The normalized company or contact name. */
  nn: string;
  sim: number;
  /** The contact's name when the row matched a contact, else null. */
  contact: string | null;
}

/** Companies with a contact holding one of these forms of a (normalized) email, at most 10. */
export function findCompaniesByContactEmail(
  sql: SqlRunner,
  emails: readonly string[],
): Promise<Array<{ id: string; name: string }>> {
  return sql.query<{ id: string; name: string }>(
    `SELECT DISTINCT c.id, c.name FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId"
       WHERE ct.emails && $1::text[] LIMIT 10`,
    [emails],
  );
}

/** Companies holding one of these forms of a (normalized) domain, at most 10. */
export function findCompaniesHoldingDomain(
  sql: SqlRunner,
  domains: readonly string[],
): Promise<Array<{ id: string; name: string }>> {
  return sql.query<{ id: string; name: string }>(
    `SELECT id, name FROM "Company" WHERE domains && $1::text[] LIMIT 10`,
    [domains],
  );
}

/**
 * Per (name, person) pair, in order: companies named exactly `name` and companies of contacts named
 * exactly `person` (normalized), 20 at most each; many pairs in one statement.
 */
export async function findExactNameRowsMany(
  sql: SqlRunner,
  pairs: ReadonlyArray<{ name: string; person: string }>,
): Promise<NameRow[][]> {
  const rows = await sql.query<NameRow & { i: number }>(
    `SELECT k.i::int AS i, x.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(name, person, i)
     CROSS JOIN LATERAL (
       SELECT id, name, "normalizedName" AS nn, 1 AS sim, NULL AS contact FROM "Company" WHERE "normalizedName" = k.name
       UNION ALL
       SELECT c.id, c.name, ct."normalizedName" AS nn, 1 AS sim, ct.name AS contact
         FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId" WHERE ct."normalizedName" = k.person
       LIMIT 20) x`,
    [pairs.map((p) => p.name), pairs.map((p) => p.person)],
  );
  const out: NameRow[][] = pairs.map(() => []);
  for (const { i, ...row } of rows) out[i - 1].push(row);
  return out;
}

/**
 * Index-driven name candidates: prefix, whole word inside the name (from 4 characters) and trigram
 * similarity at `threshold` (set on one session, then reset), 20 companies and 20 contacts at most.
 */
export async function findSimilarNameRows(
  db: Database,
  name: string,
  person: string,
  threshold: number,
): Promise<{ companies: NameRow[]; contacts: NameRow[] }> {
  // LIKE patterns are safe to build: normalized names hold only letters, digits and single spaces.
  const companySql = `SELECT id, name, "normalizedName" AS nn, similarity("normalizedName", $1) AS sim, NULL AS contact
    FROM "Company" WHERE "normalizedName" LIKE $2 ${name.length >= 4 ? `OR "normalizedName" LIKE '%' || $1 || '%'` : ''} OR "normalizedName" % $1
    ORDER BY sim DESC LIMIT 20`;
  const contactSql = `SELECT c.id, c.name, ct."normalizedName" AS nn, similarity(ct."normalizedName", $1) AS sim, ct.name AS contact
    FROM "Contact" ct JOIN "Company" c ON c.id = ct."companyId"
    WHERE ct."normalizedName" LIKE $2 OR ct."normalizedName" % $1
    ORDER BY sim DESC LIMIT 20`;
  return db.withSession(async (session) => {
    await session.exec(`SET pg_trgm.similarity_threshold = ${Number(threshold)}`);
    try {
      const companies = await session.query<NameRow>(companySql, [name, `${name}%`]);
      const contacts = person.length >= 2 ? await session.query<NameRow>(contactSql, [person, `${person}%`]) : [];
      return { companies, contacts };
    } finally {
      await session.exec('RESET pg_trgm.similarity_threshold');
    }
  });
}

/**
 * Typo candidates: companies whose name starts with the same letter and is (or starts with a word
 * that is) within `maxEdits` characters of the typed length, read by a range on the btree index; the
 * 20 most similar.
 */
export function findTypoNameRows(sql: SqlRunner, name: string, maxEdits: number): Promise<NameRow[]> {
  const first = name[0];
  return sql.query<NameRow>(
    `SELECT id, name, "normalizedName" AS nn, similarity("normalizedName", $1) AS sim, NULL AS contact
     FROM "Company"
     WHERE "normalizedName" >= $2 AND "normalizedName" < $3 AND left("normalizedName", 1) = $2
       AND (length("normalizedName") BETWEEN $4 AND $5 OR length(split_part("normalizedName", ' ', 1)) BETWEEN $4 AND $5)
     ORDER BY greatest(similarity("normalizedName", $1), similarity(split_part("normalizedName", ' ', 1), $1)) DESC LIMIT 20`,
    [name, first, String.fromCodePoint(first.codePointAt(0)! + 1), name.length - maxEdits, name.length + maxEdits],
  );
}
