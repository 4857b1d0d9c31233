import type { Database } from './database.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';

/**
 * Either the Prisma client or the client of an open transaction. Repository functions take this, so
 * that a service can run several of them in one transaction ({@link inTransaction}) or alone.
 */
export type DbClient = PrismaClient | Prisma.TransactionClient;

/** Options of an interactive transaction: how long it may run and wait for a connection, in ms. */
export interface TransactionOptions {
  timeout?: number;
  maxWait?: number;
}

/**
 * Runs `fn` in one database transaction: it commits when `fn` resolves and rolls back when it throws
 * (the error is rethrown). `fn` passes the client it gets to repository functions.
 */
export function inTransaction<T>(
  db: Pick<Database, 'prisma'>,
  fn: (tx: Prisma.TransactionClient) => Promise<T>,
  opts?: TransactionOptions,
): Promise<T> {
  return db.prisma.$transaction(fn, opts);
}
