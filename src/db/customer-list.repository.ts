import type { SqlRunner } from './database.ts';

/** One row of the customers page. */
export interface CustomerListRow {
  id: string;
  name: string;
  domains: string[];
  contactCount: number;
  openFollowUps: number;
  /** When the last conversation with them had a message; null when nothing is logged. */
  lastContactAt: Date | null;
}

export type CustomerSort = 'last_contact' | 'least_recent' | 'name';

/** One page of customers: who matches, in which order, which slice. */
export interface CustomerPageQuery {
  /** Part of a name, domain, contact name or email (case-insensitive substring); empty = everyone. */
  search: string;
  sort: CustomerSort;
  /** These customers first, in this order, then every other match by name; overrides `sort`. */
  orderedIds?: string[];
  limit: number;
  offset: number;
}

const ORDER: Record<CustomerSort, string> = {
  last_contact: '"lastContactAt" DESC NULLS LAST, c.name ASC, c.id',
  least_recent: '"lastContactAt" ASC NULLS FIRST, c.name ASC, c.id',
  name: 'c.name ASC, c.id',
};

/** The rows of one page of customers and how many match in all. */
export async function findCustomerPage(
  sql: SqlRunner,
  q: CustomerPageQuery,
): Promise<{ total: number; rows: CustomerListRow[] }> {
  const pattern = `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = `($1 = '' OR c.name ILIKE $2 OR EXISTS (SELECT 1 FROM unnest(c.domains) d WHERE d ILIKE $2)
      OR EXISTS (SELECT 1 FROM "Contact" k WHERE k."companyId" = c.id
        AND (k.name ILIKE $2 OR EXISTS (SELECT 1 FROM unnest(k.emails) e WHERE e ILIKE $2))))`;
  const ids = q.orderedIds;
  const order = ids ? 'array_position($5::uuid[], c.id) NULLS LAST, c.name ASC, c.id' : ORDER[q.sort];
  const params: unknown[] = [q.search, pattern, q.limit, q.offset];
  if (ids) params.push(ids);
  const [rows, count] = await Promise.all([
    sql.query<CustomerListRow>(
      `SELECT c.id, c.name, c.domains,
         (SELECT max(r."lastMessageAt") FROM "CommunicationRecord" r WHERE r."companyId" = c.id) AS "lastContactAt",
         (SELECT count(*) FROM "Contact" k WHERE k."companyId" = c.id)::int AS "contactCount",
         (SELECT count(*) FROM "FollowUp" f WHERE f."companyId" = c.id
            AND f.status::text IN ('suggested', 'open', 'snoozed'))::int AS "openFollowUps"
       FROM "Company" c
       WHERE ${where}
       ORDER BY ${order}
       LIMIT $3 OFFSET $4`,
      params,
    ),
    sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Company" c WHERE ${where}`, [q.search, pattern]),
  ]);
  return {
    total: count[0]?.n ?? 0,
    rows: rows.map((r) => ({ ...r, lastContactAt: r.lastContactAt ? new Date(r.lastContactAt) : null })),
  };
}
