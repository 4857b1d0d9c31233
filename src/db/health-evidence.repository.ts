import type { SqlRunner } from './database.ts';
import { customerVoice } from './customer-voice.sql.ts';

/** A conversation behind a health reason, as the customer page lists it. */
export interface EvidenceRecord {
  id: string;
  channelKind: string;
  subject: string | null;
  lastMessageAt: Date;
  /** The newest inbound message (the customer's words), cut to 300 characters; null when there is none. */
  excerpt: string | null;
  excerptAt: Date | null;
  /** Its place in the customer's timeline (newest first, 0-based): which page of the customer page shows it. */
  position: number;
}

/** A follow-up behind a health reason. */
export interface EvidenceFollowUp {
  number: number;
  title: string;
  dueAt: Date;
  status: string;
}

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/**
 * The conversations with these ids that belong to `companyId` (newest first), each with its newest
 * inbound message and its place in the timeline (ordered as the customer card orders it: last
 * message newest first, then id): what a health reason points at. Ids of another customer are left out.
 */
export async function evidenceRecords(sql: SqlRunner, companyId: string, ids: string[]): Promise<EvidenceRecord[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<{
    id: string;
    channelKind: string;
    subject: string | null;
    lastMessageAt: Date | string;
    excerpt: string | null;
    excerptAt: Date | string | null;
    position: number;
  }>(
    `SELECT r.id, r."channelKind"::text AS "channelKind", r.subject, r."lastMessageAt",
       m.text AS excerpt, m."sentAt" AS "excerptAt",
       (SELECT count(*) FROM "CommunicationRecord" o WHERE o."companyId" = r."companyId"
          AND (o."lastMessageAt" > r."lastMessageAt" OR (o."lastMessageAt" = r."lastMessageAt" AND o.id < r.id)))::int
         AS position
     FROM "CommunicationRecord" r
     LEFT JOIN LATERAL (
       SELECT left(x."cleanText", 300) AS text, x."sentAt" FROM "Message" x
       WHERE x."recordId" = r.id AND ${customerVoice('x')} ORDER BY x."sentAt" DESC LIMIT 1
     ) m ON true
     WHERE r.id = ANY($1::uuid[]) AND r."companyId" = $2::uuid
     ORDER BY r."lastMessageAt" DESC`,
    [ids, companyId],
  );
  return rows.map((r) => ({
    ...r,
    lastMessageAt: asDate(r.lastMessageAt),
    excerptAt: r.excerptAt === null ? null : asDate(r.excerptAt),
  }));
}

/** The follow-ups of `companyId` with these numbers, soonest due first. */
export async function evidenceFollowUps(
  sql: SqlRunner,
  companyId: string,
  numbers: number[],
): Promise<EvidenceFollowUp[]> {
  if (numbers.length === 0) return [];
  const rows = await sql.query<{ number: number; title: string; dueAt: Date | string; status: string }>(
    `SELECT f.number, f.title, f."dueAt", f.status::text AS status FROM "FollowUp" f
     WHERE f.number = ANY($1::int[]) AND f."companyId" = $2::uuid ORDER BY f."dueAt"`,
    [numbers, companyId],
  );
  return rows.map((r) => ({ ...r, dueAt: asDate(r.dueAt) }));
}
