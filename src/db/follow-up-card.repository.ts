import type { FollowUpStatus } from './generated/client.ts';
import type { SqlRunner } from './database.ts';

/** What a follow-up card shows, read in one statement. */
export interface FollowUpCardData {
  id: string;
  number: number;
  title: string;
  dueAt: Date;
  status: FollowUpStatus;
  priority: string;
  reason: string | null;
  completedAt: Date | null;
  updatedAt: Date;
  /** Why the message in messageRef was posted (suggestion, reminder, escalation); null before it is posted. */
  messagePurpose: string | null;
  companyName: string | null;
  assignee: { name: string; platformUserIds: string[] } | null;
  record: { id: string; subject: string | null; latestText: string | null } | null;
  classification: { label: string; confidence: number; correctedLabel: string | null } | null;
}

/** Columns of {@link FollowUpCardData} for a follow-up aliased `f`; other statements embed them. */
export const FOLLOW_UP_CARD_COLUMNS = `
  f.id AS "fId", f.number AS "fNumber", f.title AS "fTitle", f."dueAt" AS "fDueAt", f.status::text AS "fStatus", f.priority AS "fPriority",
  f.reason AS "fReason", f."completedAt" AS "fCompletedAt", f."updatedAt" AS "fUpdatedAt", f."messagePurpose" AS "fMessagePurpose",
  (SELECT co.name FROM "Company" co WHERE co.id = f."companyId") AS "fCompanyName",
  a.name AS "fAssigneeName", a."platformUserIds" AS "fAssigneeIds",
  r.id AS "fRecordId", r.subject AS "fRecordSubject",
  (SELECT m."cleanText" FROM "Message" m WHERE m."recordId" = r.id ORDER BY m."sentAt" DESC LIMIT 1) AS "fLatestText",
  cl.label AS "fLabel", cl.confidence AS "fConfidence", cl."correctedLabel" AS "fCorrectedLabel"`;

/** Joins for {@link FOLLOW_UP_CARD_COLUMNS}. */
export const FOLLOW_UP_CARD_JOINS = `
  LEFT JOIN "Rep" a ON a.id = f."assigneeRepId"
  LEFT JOIN "CommunicationRecord" r ON r.id = f."recordId"
  LEFT JOIN "Classification" cl ON cl.id = f."classificationId"`;

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string));

/** Maps a row selected with {@link FOLLOW_UP_CARD_COLUMNS}; undefined when the follow-up is gone. */
export function followUpCardFromRow(row: Record<string, unknown>): FollowUpCardData | undefined {
  if (!row.fId) return undefined;
  return {
    id: row.fId as string,
    number: Number(row.fNumber),
    title: row.fTitle as string,
    dueAt: date(row.fDueAt),
    status: row.fStatus as FollowUpStatus,
    priority: row.fPriority as string,
    reason: (row.fReason as string | null) ?? null,
    completedAt: row.fCompletedAt ? date(row.fCompletedAt) : null,
    updatedAt: date(row.fUpdatedAt),
    messagePurpose: (row.fMessagePurpose as string | null) ?? null,
    companyName: (row.fCompanyName as string | null) ?? null,
    assignee:
      row.fAssigneeName != null
        ? { name: row.fAssigneeName as string, platformUserIds: (row.fAssigneeIds as string[] | null) ?? [] }
        : null,
    record: row.fRecordId
      ? {
          id: row.fRecordId as string,
          subject: (row.fRecordSubject as string | null) ?? null,
          latestText: (row.fLatestText as string | null) ?? null,
        }
      : null,
    classification:
      row.fLabel != null
        ? {
            label: row.fLabel as string,
            confidence: Number(row.fConfidence),
            correctedLabel: (row.fCorrectedLabel as string | null) ?? null,
          }
        : null,
  };
}

/** Loads one follow-up's card data; undefined when it no longer exists (erased). */
export async function readFollowUpCard(sql: SqlRunner, followUpId: string): Promise<FollowUpCardData | undefined> {
  const [row] = await sql.query<Record<string, unknown>>(
    `SELECT ${FOLLOW_UP_CARD_COLUMNS} FROM "FollowUp" f ${FOLLOW_UP_CARD_JOINS} WHERE f.id = $1::uuid`,
    [followUpId],
  );
  return row ? followUpCardFromRow(row) : undefined;
}

/**
 * Loads the card data of many follow-ups in one statement; those that no longer exist are missing from
 * the map. Planned per call when it carries several (a batch's plan depends on its size and the tables').
 */
export async function readFollowUpCards(
  sql: SqlRunner,
  followUpIds: readonly string[],
): Promise<Map<string, FollowUpCardData>> {
  const ids = [...new Set(followUpIds)];
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT ${FOLLOW_UP_CARD_COLUMNS} FROM "FollowUp" f ${FOLLOW_UP_CARD_JOINS} WHERE f.id = ANY($1::uuid[])`,
    [ids],
    { planPerCall: ids.length > 1 },
  );
  const cards = new Map<string, FollowUpCardData>();
  for (const row of rows) {
    const card = followUpCardFromRow(row);
    if (card) cards.set(card.id, card);
  }
  return cards;
}
