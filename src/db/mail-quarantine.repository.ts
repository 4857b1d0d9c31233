import { createHash } from 'node:crypto';
import type { Database } from './database.ts';

/** A quarantined message as `rapport mail retry` reads it. */
export interface QuarantinedMail {
  id: string;
  mailbox: string;
  folder: string | null;
  uid: number | null;
  raw: Buffer;
  attempts: number;
}

/**
 * Keeps a message that could not be stored: raw, with its headers, the error and a note. The same raw
 * message failing again updates its row (attempts, error) instead of adding one.
 */
export async function quarantineMail(
  db: Database,
  mail: {
    mailbox: string;
    folder?: string;
    uid?: number;
    raw: Buffer;
    headers: Record<string, string>;
    error: string;
    note: string;
  },
): Promise<void> {
  const sourceHash = createHash('sha256').update(mail.raw).digest('hex');
  await db.prisma.mailQuarantine.upsert({
    where: { sourceHash },
    create: {
      sourceHash,
      mailbox: mail.mailbox,
      folder: mail.folder ?? null,
      uid: mail.uid ?? null,
      raw: new Uint8Array(mail.raw),
      headers: mail.headers,
      error: mail.error.slice(0, 2000),
      note: mail.note,
    },
    update: { attempts: { increment: 1 }, error: mail.error.slice(0, 2000), note: mail.note, resolvedAt: null },
  });
}

/** Quarantined messages not resolved yet, oldest first. */
export async function pendingQuarantinedMail(db: Database, limit = 500): Promise<QuarantinedMail[]> {
  const rows = await db.prisma.mailQuarantine.findMany({
    where: { resolvedAt: null },
    orderBy: { createdAt: 'asc' },
    take: limit,
    select: { id: true, mailbox: true, folder: true, uid: true, raw: true, attempts: true },
  });
  return rows.map((r) => ({ ...r, raw: Buffer.from(r.raw) }));
}

/** A retry's result for one row: resolved (logged, duplicate, skipped) or failed again with `error`. */
export async function recordQuarantineRetry(
  db: Database,
  id: string,
  result: { resolved: true } | { resolved: false; error: string },
): Promise<void> {
  await db.prisma.mailQuarantine.update({
    where: { id },
    data: result.resolved
      ? { resolvedAt: new Date() }
      : { attempts: { increment: 1 }, error: result.error.slice(0, 2000) },
  });
}
