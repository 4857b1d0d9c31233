import type { DbClient } from './db-client.ts';
import type { AuditLog, Prisma } from './generated/client.ts';

/** One audit entry as written: ids, counts and hashes only (audit rows outlive an erased customer). */
export interface AuditLogRow {
  action: string;
  actor: string | null;
  platform: string | null;
  subject: string | null;
  details: Record<string, unknown>;
}

/** Appends one entry; pass a transaction client so it commits with the change. Returns its id. */
export async function insertAuditLog(client: DbClient, row: AuditLogRow): Promise<string> {
  const created = await client.auditLog.create({
    data: { ...row, details: row.details as Prisma.InputJsonValue },
    select: { id: true },
  });
  return created.id;
}

/** The details of the newest `take` entries of `action` about `subject` by `actor`, newest first. */
export async function findAuditDetails(
  client: DbClient,
  where: { action: string; subject: string; actor: string },
  take: number,
): Promise<Array<{ details: unknown }>> {
  return client.auditLog.findMany({ where, select: { details: true }, orderBy: { createdAt: 'desc' }, take });
}

/** Every entry about these subjects (ids of a company, its records, follow-ups, links), oldest first. */
export async function findAuditLogsAbout(client: DbClient, subjects: string[]): Promise<AuditLog[]> {
  return client.auditLog.findMany({ where: { subject: { in: subjects } }, orderBy: { createdAt: 'asc' } });
}

/** Whether any entry of `action` is about `subject`. */
export async function hasAuditEntry(client: DbClient, action: string, subject: string): Promise<boolean> {
  return (await client.auditLog.findFirst({ where: { action, subject }, select: { id: true } })) !== null;
}

/** The rep who last acted on `subject` (the newest entry with an actor), or null. */
export async function findLastActorRepId(client: DbClient, subject: string): Promise<string | null> {
  const entry = await client.auditLog.findFirst({
    where: { subject, actor: { not: null } },
    orderBy: { createdAt: 'desc' },
    select: { actor: true },
  });
  return entry?.actor ?? null;
}

/** The details of one audit entry, or null. */
export async function findAuditDetailsById(client: DbClient, id: string): Promise<unknown> {
  const entry = await client.auditLog.findUnique({ where: { id }, select: { details: true } });
  return entry?.details ?? null;
}
