import type { DbClient } from '../db/db-client.ts';

/** Either the Prisma client or the client of an open transaction: services take this to compose in one transaction. */
export type PrismaExecutor = DbClient;

/** True for Prisma's unique-constraint violation (P2002), the signal that a concurrent request wrote first. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}
