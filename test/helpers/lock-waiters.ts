import pg from 'pg';

/**
 * Resolves once `count` sessions other than `self` wait for a lock in its database (polled through
 * `self`), or as soon as `done()` says what it waits for happened anyway. Makes a race deterministic:
 * `self` holds a row in an open transaction, the racers start and queue behind it, then `self` commits.
 */
export async function waitForLockWaiters(self: pg.Client, count: number, done = () => false): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (done()) return;
    // pg_stat_activity is read once per transaction (and `self` holds one open): read it afresh, or a
    // session connected since stays unseen.
    await self.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await self.query<{ n: number }>(
      `SELECT count(DISTINCT l.pid)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND l.pid <> pg_backend_pid() AND a.datname = current_database()`,
    );
    if (rows[0].n >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${count} sessions wait for a lock`);
}

/**
 * A third session on the PostgreSQL database at `url` holding the rows `lockSql` locks (`SELECT … FOR UPDATE`)
 * in a transaction left open: the caller starts the racers, waits for them (waitForLockWaiters), then
 * lets them go with `COMMIT`, and ends the session (`end()`) whatever happened.
 */
export async function holdRows(url: string | undefined, lockSql: string, params: unknown[]): Promise<pg.Client> {
  if (!url) throw new Error('only a PostgreSQL server has a third session to hold rows');
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(lockSql, params);
    return holder;
  } catch (err) {
    await holder.end();
    throw err;
  }
}
