import type { PrismaClient } from './generated/client.ts';

export interface QueryOptions {
  /**
   * Plan the statement for this call's parameters instead of reusing the plan PostgreSQL cached for
   * it on this connection. For statements over arrays of rows (batches): their best plan depends on
   * how many rows a call carries and on how big the tables are now, and a plan cached while the
   * tables were small would keep scanning whole tables as they grow. Default false (cached plan).
   */
  planPerCall?: boolean;
}

/** The raw SQL side of a database connection, used by migrations, locks and hand-tuned queries. */
export interface SqlRunner {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Runs one parameterised query ($1, $2, ...) and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<T[]>;
}

/** An open database: the Prisma client for the app, raw SQL for infrastructure, and close(). */
export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  sql: SqlRunner;
  /** Runs `fn` on one dedicated connection (advisory locks must stay on the session that took them). */
  withSession<T>(fn: (session: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
