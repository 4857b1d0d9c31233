import { insertAuditLog } from '../db/audit-log.repository.ts';
import type { PrismaExecutor } from './prisma-executor.ts';

/** Who did something, as written to the audit log: a rep id and the platform they used. */
export interface AuditActor {
  repId: string;
  platform: string;
}

export interface AuditEntry {
  /** Dotted verb, e.g. "record.log", "followup.done", "customer.erase". */
  action: string;
  actor?: AuditActor;
  /** Id of the row acted on (company, record, follow-up); ids only, never names or text. */
  subject?: string;
  /** Ids, counts and hashes. Never personal data: audit rows outlive an erased customer. */
  details?: Record<string, unknown>;
}

/** Appends one entry to the audit log; pass a transaction client so the entry commits with the change. */
export async function writeAudit(client: PrismaExecutor, entry: AuditEntry): Promise<string> {
  return insertAuditLog(client, {
    action: entry.action,
    actor: entry.actor?.repId ?? null,
    platform: entry.actor?.platform ?? null,
    subject: entry.subject ?? null,
    details: entry.details ?? {},
  });
}
