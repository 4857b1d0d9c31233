import type { Database } from './database.ts';

/** A record the review queue may show: its latest classification and first message. */
export interface ReviewCandidateRow {
  recordId: string;
  /** The record's customer; null when it has none. */
  companyId: string | null;
  companyName: string | null;
  text: string;
  label: string;
  confidence: number;
  scores: Record<string, number>;
  correctedLabel: string | null;
  classifiedAt: Date;
}

const SELECT = `SELECT c."recordId", co.id AS "companyId", co.name AS "companyName", COALESCE(m."cleanText", '') AS text, c.label,
       c.confidence, c.scores, c."correctedLabel", c."createdAt" AS "classifiedAt"
  FROM "Classification" c
  JOIN "CommunicationRecord" r ON r.id = c."recordId"
  LEFT JOIN "Company" co ON co.id = r."companyId"
  LEFT JOIN "Message" m ON m.id = c."messageId"`;

// Only a record's latest classification counts: an older one was for a shorter conversation.
const LATEST = `NOT EXISTS (SELECT 1 FROM "Classification" n WHERE n."recordId" = c."recordId" AND n."createdAt" > c."createdAt")`;

function toRow(r: Record<string, unknown>): ReviewCandidateRow {
  return {
    ...(r as unknown as ReviewCandidateRow),
    confidence: Number(r.confidence),
    scores: (r.scores ?? {}) as Record<string, number>,
    classifiedAt: new Date(r.classifiedAt as string),
  };
}

/** Uncorrected latest classifications below `maxConfidence`, least confident first, newest first among equals. */
export async function readUnsureClassifications(
  db: Database,
  maxConfidence: number,
  limit: number,
): Promise<{ rows: ReviewCandidateRow[]; total: number }> {
  const where = `c."correctedLabel" IS NULL AND c.confidence < $1 AND ${LATEST}`;
  const [rows, [count]] = await Promise.all([
    db.sql.query(`${SELECT} WHERE ${where} ORDER BY c.confidence, c."createdAt" DESC LIMIT $2`, [maxConfidence, limit]),
    db.sql.query<{ n: number | string }>(`SELECT count(*) AS n FROM "Classification" c WHERE ${where}`, [
      maxConfidence,
    ]),
  ]);
  return { rows: rows.map(toRow), total: Number(count?.n ?? 0) };
}

/** The latest classifications of these records (for corrections a retrain flagged). */
export async function readClassificationsOf(db: Database, recordIds: readonly string[]): Promise<ReviewCandidateRow[]> {
  if (recordIds.length === 0) return [];
  const rows = await db.sql.query(`${SELECT} WHERE c."recordId" = ANY($1::uuid[]) AND ${LATEST}`, [[...recordIds]]);
  return rows.map(toRow);
}

/**
 * Records whose correction the newest retrain attempt named as hurting the held-out score, most
 * harmful first, leaving out those a rep re-labelled or kept since that attempt.
 */
export async function readFlaggedCorrections(db: Database): Promise<string[]> {
  const rows = await db.sql.query<{ recordId: string }>(
    `WITH attempt AS (
       SELECT metrics->'gate'->'harmful' AS harmful, "createdAt" FROM "Model"
        WHERE "trainingSummary" ? 'correctionsSeen' ORDER BY "createdAt" DESC LIMIT 1)
     SELECT f.value->>'recordId' AS "recordId"
       FROM attempt, jsonb_array_elements(COALESCE(attempt.harmful, '[]'::jsonb)) WITH ORDINALITY AS f(value, n)
      WHERE NOT EXISTS (SELECT 1 FROM "AuditLog" a
                         WHERE a.subject = f.value->>'recordId' AND a.action IN ('record.label', 'review.keep')
                           AND a."createdAt" > attempt."createdAt")
      ORDER BY f.n`,
  );
  return rows.map((r) => r.recordId);
}

/** Writes that a rep kept a flagged correction as it is; false when that was already written since `since`. */
export async function insertKeptCorrection(
  db: Database,
  recordId: string,
  actor: { repId: string; platform: string },
): Promise<boolean> {
  const rows = await db.sql.query<{ id: string }>(
    `INSERT INTO "AuditLog" (id, action, actor, platform, subject, details)
     SELECT gen_random_uuid(), 'review.keep', $2, $3, $1, '{}'::jsonb
      WHERE NOT EXISTS (SELECT 1 FROM "AuditLog" a WHERE a.subject = $1 AND a.action = 'review.keep'
                          AND a."createdAt" > COALESCE((SELECT max("createdAt") FROM "Model"
                                                         WHERE "trainingSummary" ? 'correctionsSeen'), '-infinity'))
     RETURNING id`,
    [recordId, actor.repId, actor.platform],
  );
  return rows.length > 0;
}
