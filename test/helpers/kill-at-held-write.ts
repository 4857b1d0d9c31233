import pg from 'pg';
import { eventually } from './pipeline-harness.ts';

/**
 * Kills a process in the middle of a write, the way a SIGKILL or an OOM kill lands: another session
 * holds a write lock on `table` (EXCLUSIVE: reads go on) while `act` runs; once a backend of the same
 * database waits on that lock (`what`, the process's write), `kill` kills the process, the waiting
 * statement is ended as one that never left a killed process (its backend is terminated: a transaction
 * around it rolls back, nothing after it runs; `terminations` times for a process that tries again) and
 * the lock is let go.
 */
export async function killAtHeldWrite(opts: {
  databaseUrl: string;
  table: string;
  what: string;
  act: () => Promise<unknown>;
  kill: () => Promise<unknown>;
  /**
   * How many waiting statements are ended, one after another, before the lock goes (default 1): a
   * process that tries again after a lost connection waits on the lock again each time.
   */
  terminations?: number;
}): Promise<void> {
  const locker = new pg.Client({ connectionString: opts.databaseUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${opts.table}" IN EXCLUSIVE MODE`);
    await opts.act();
    // A terminated backend stays in pg_locks for a moment: it is not the next one waiting.
    const ended: number[] = [];
    const waiting = () =>
      eventually(
        opts.what,
        async () => {
          // Who waits for a lock on the table (pg_locks: a statement's text in pg_stat_activity is cut at 1 kB).
          const { rows } = await locker.query<{ pid: number }>(
            `SELECT pid FROM pg_locks
              WHERE NOT granted AND relation = $1::regclass AND pid <> pg_backend_pid() AND pid <> ALL($2::int[])
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [`"${opts.table}"`, ended],
          );
          return rows[0]?.pid;
        },
        60_000,
      );
    let blocked = await waiting();
    await opts.kill();
    for (let n = 1; ; n++) {
      await locker.query('SELECT pg_terminate_backend($1)', [blocked]);
      ended.push(blocked);
      if (n >= (opts.terminations ?? 1)) break;
      blocked = await waiting();
    }
    await locker.query('ROLLBACK');
  } finally {
    await locker.end();
  }
}
