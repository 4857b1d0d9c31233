/**
 * True for a unique-constraint violation, raised either by Prisma (P2002) or by raw SQL through pg or
 * PGlite (SQLSTATE 23505): the signal that a concurrent request wrote the same key first.
 */
export function isUniqueViolationError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === 'P2002' || code === '23505';
}
