/**
 * True for a unique-constraint violation, raised either by Prisma (P2002) or by raw SQL through pg or
 * PGlite (SQLSTATE 23505): the signal that a concurrent request wrote the same key first.
 */
export function isUniqueViolationError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === 'P2002' || code === '23505';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'P1001', // Prisma: can't reach database server
  'P1002', // Prisma: server reached but timed out
  'P1017', // Prisma: server closed the connection
  'P2024', // Prisma: timed out fetching a connection from the pool
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '25P03', // idle_in_transaction_session_timeout: the session ended (see inEmailTransaction)
  '53300', // too_many_connections
]);

/**
 * True when the database could not be reached or dropped the connection (refused, reset, shutting
 * down, pool exhausted), as opposed to a query it refused: the request may succeed if tried again.
 * Looks through `cause` chains (Prisma's driver adapters wrap pg's errors).
 */
export function isDatabaseUnavailableError(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (
      typeof message === 'string' &&
      /Connection terminated|connection error and is not queryable|is not currently accepting connections|terminating connection due to administrator command|connect ECONNREFUSED|Cannot use a pool after calling end|timeout exceeded when trying to connect|Can't reach database server/i.test(
        message,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * '40P01' when PostgreSQL aborted the transaction `err` ended to break a deadlock, '40001' for a
 * serialization failure (the transaction changed nothing and may run again), undefined for anything
 * else. Prisma reports them as P2034 (its own queries) or P2010 (raw ones), the PostgreSQL code inside.
 */
export function transactionConflictCode(err: unknown): '40P01' | '40001' | undefined {
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null;
  const code = e?.meta?.driverAdapterError?.cause?.originalCode ?? e?.code;
  return code === '40P01' || code === '40001' ? code : undefined;
}
