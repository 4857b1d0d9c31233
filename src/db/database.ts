import type { PrismaClient } from './generated/client.ts';

/** The raw SQL side of a database connection, used by migrations, locks and hand-tuned queries. */
export interface SqlRunner {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Runs one parameterised query ($1, $2, ...) and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
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
