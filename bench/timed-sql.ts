import type { SqlRunner } from '../src/db/database.ts';

/**
 * `sql` with every statement timed, for the benches' BENCH_SQL_STATS: `begin` is told each statement
 * (whitespace collapsed) as it starts and returns what to call with its milliseconds and the rows it
 * returned when it ends (undefined: not timed).
 */
export function timedSql(
  sql: SqlRunner,
  begin: (statement: string) => ((ms: number, rows: number) => void) | undefined,
): SqlRunner {
  const note = async <T>(q: string, run: () => Promise<T>): Promise<T> => {
    const end = begin(q.replace(/\s+/g, ' ').trim());
    if (!end) return run();
    const t0 = performance.now();
    let rows = 0;
    try {
      const r = await run();
      rows = Array.isArray(r) ? r.length : 0;
      return r;
    } finally {
      end(performance.now() - t0, rows);
    }
  };
  return { exec: (q) => note(q, () => sql.exec(q)), query: (q, p, o) => note(q, () => sql.query(q, p, o)) };
}
