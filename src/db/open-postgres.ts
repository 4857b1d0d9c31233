import { createHash } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';
import type { Database, QueryOptions, SqlRunner } from './database.ts';

/** Opens a PostgreSQL database through a connection pool shared by Prisma and raw SQL. */
export async function openPostgres(url: string, poolSize = 10, onIdleError?: (err: Error) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection dropped by the server (restart, failover, admin kill) must not crash the
  // process: the pool discards it and the next query opens a fresh one.
  pool.on('error', (err) => onIdleError?.(err));
  // Fail fast with the driver's own message (wrong host, auth, missing database).
  const probe = await pool.connect();
  probe.release();
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const runner = (client: pg.Pool | pg.PoolClient): SqlRunner => ({
    async exec(text) {
      await client.query(text);
    },
    async query<T>(text: string, params: unknown[] = [], opts: QueryOptions = {}) {
      // Parameterised queries are named prepared statements, so each connection plans a hot query
      // once instead of on every call (planning was ~1.4 ms of PostgreSQL CPU per pipelined record);
      // a statement whose best plan changes with the tables' size asks to be planned per call
      // (QueryOptions.planPerCall).
      const res =
        params.length > 0 && !opts.planPerCall
          ? await client.query({ name: statementName(text), text, values: params })
          : await client.query(text, params);
      return res.rows as T[];
    },
  });
  return {
    kind: 'postgres',
    prisma,
    sql: runner(pool),
    async withSession(fn) {
      const client = await pool.connect();
      // A checked-out connection the server drops (failover, restart, admin kill) emits 'error' besides
      // failing its query, and the pool listens only to idle ones: without a listener of its own the
      // error would be thrown from the socket's event and take the process down. The query's own
      // rejection is what the caller sees; the connection is handed back broken, so the pool drops it.
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost = err;
      };
      client.on('error', onError);
      try {
        return await fn(runner(client));
      } finally {
        client.removeListener('error', onError);
        client.release(lost);
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `rapport_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}
