/** A column of a batch statement: its name in the statement and its PostgreSQL type. */
export type BatchColumn = readonly [name: string, type: string];

/**
 * The FROM item that turns one array parameter per column ($first, $first+1, ...) into the rows of a
 * batch, aliased `alias`: `unnest` over arrays of equal length, row i taking element i of each.
 *
 * The arrays pass through a subquery fenced with OFFSET 0, so the planner never sees their length:
 * it assumes the same number of rows whether it plans for this call's values (a custom plan) or for
 * any values (the generic plan a prepared statement reuses). Seeing the length, it priced the generic
 * plan (10 rows assumed) above custom plans for small batches and re-planned the statement on every
 * call (1.3 ms for the delivery claim) instead of reusing its plan.
 */
export function batchRows(alias: string, columns: readonly BatchColumn[], first = 1): string {
  const arrays = columns.map(([, type], i) => `$${first + i}::${type}[] AS a${i}`).join(', ');
  const args = columns.map((_, i) => `batch_arrays.a${i}`).join(', ');
  return `(SELECT ${arrays} OFFSET 0) batch_arrays CROSS JOIN LATERAL unnest(${args}) AS ${alias}(${columns.map(([name]) => name).join(', ')})`;
}
