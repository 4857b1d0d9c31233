import type { Database } from '../db/database.ts';
import { type CustomerListRow, type CustomerSort, findCustomerPage } from '../db/customer-list.repository.ts';

export type { CustomerListRow, CustomerSort };

export interface CustomerListQuery {
  /** Part of a name, domain, contact name or email; empty = everyone. */
  search?: string;
  sort?: CustomerSort;
  /**
   * These customers first, in this order (a ranking from elsewhere, e.g. health), then every other match
   * by name; overrides `sort`. A ranking never hides a customer.
   */
  orderedIds?: string[];
  limit: number;
  offset: number;
}

/**
 * Customers for the console list: searched by name, domain, contact name or email (case-insensitive
 * substring), sorted, one page, and how many match in all.
 */
export function listCustomers(db: Database, q: CustomerListQuery): Promise<{ total: number; rows: CustomerListRow[] }> {
  return findCustomerPage(db.sql, {
    search: (q.search ?? '').trim(),
    sort: q.sort ?? 'last_contact',
    orderedIds: q.orderedIds,
    limit: q.limit,
    offset: q.offset,
  });
}
