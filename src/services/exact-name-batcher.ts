import type { NameRow } from '../db/customer-lookup.repository.ts';
import { findExactNameRowsMany } from '../db/customer-lookup.repository.ts';
import type { SqlRunner } from '../db/database.ts';
import { CallBatcher } from '../concurrency/call-batcher.ts';

/** Most name pairs one statement asks for. */
const MAX_PAIRS = 200;
/** Statements of one runner running at once; lookups made meanwhile go together in the next. */
const MAX_IN_FLIGHT = 2;

type Pair = { name: string; person: string };
const batchers = new WeakMap<SqlRunner, CallBatcher<Pair, NameRow[]>>();

/**
 * Companies named exactly `name` and companies of contacts named exactly `person` (20 at most), but lookups made at the same time through the same runner go as one
 * statement (every `log` looks its customer up first: a burst of commands is a few statements, not
 * one each). Never a cache: each call is answered by a statement that starts after it was made.
 */
export function findExactNameRowsBatched(sql: SqlRunner, name: string, person: string): Promise<NameRow[]> {
  let batcher = batchers.get(sql);
  if (!batcher) {
    batcher = new CallBatcher<Pair, NameRow[]>((pairs) => findExactNameRowsMany(sql, pairs), {
      maxBatch: MAX_PAIRS,
      maxInFlight: MAX_IN_FLIGHT,
    });
    batchers.set(sql, batcher);
  }
  return batcher.call({ name, person });
}
