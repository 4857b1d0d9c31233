import pg from 'pg';
import { eventually } from './pipeline-harness.ts';

/**
 * Kills a process in the middle of a write, the way a SIGKILL or an OOM kill lands: another session
 * holds a write lock on `table` (EXCLUSIVE: reads go on) while `act` runs; once a backend of the same
 * database waits on that lock (`what`, the process's write), `kill` kills the process, the waiting
 * statement is ended as one that never left a killed process (its backend is terminated: a transaction
 * around it rolls back, nothing after it runs) and the lock is let go.
 */
export async function killAtHeldWrite(opts: {
  databaseUrl: string;
  table: string;
  what: string;
  act: () => Promise<unknown>;
  kill: () => Promise<unknown>;
}): Promise<void> {
  const locker = new pg.Client({ connectionString: opts.databaseUrl });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${opts.table}" IN EXCLUSIVE MODE`);
    await opts.act();
    const blocked = await eventually(
      opts.what,
      async () => {
        // The locker is in a transaction, where pg_stat_activity is read once and then kept.
        await locker.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await locker.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND wait_event_type = 'Lock' AND query ILIKE $1`,
          [`%"${opts.table}"%`],
        );
        return rows[0]?.pid;
      },
      60_000,
    );
    await opts.kill();
    await locker.query('SELECT pg_terminate_backend($1)', [blocked]);
    await locker.query('ROLLBACK');
  } finally {
    await locker.end();
  }
}
