import type { Prisma } from './generated/client.ts';
import type { Database } from './database.ts';

/** A rep's correction as the retrain reads it. */
export interface CorrectionRow {
  recordId: string;
  text: string;
  label: string;
  /** When the label last changed (a re-correction moves it). */
  updatedAt: Date;
  /** The record's customer, the group a correction belongs to (null when the record has none). */
  companyId: string | null;
}

/** Every correction, oldest change first. */
export async function readCorrections(db: Database): Promise<CorrectionRow[]> {
  const rows = await db.sql.query<{
    recordId: string;
    text: string;
    label: string;
    updatedAt: Date | string;
    companyId: string | null;
  }>(
    `SELECT le."recordId", le.text, le.label, le."updatedAt", r."companyId"
       FROM "LabeledExample" le LEFT JOIN "CommunicationRecord" r ON r.id = le."recordId"
      WHERE le.source = 'correction' AND le."recordId" IS NOT NULL
      ORDER BY le."updatedAt", le.id`,
  );
  return rows.map((r) => ({ ...r, updatedAt: new Date(r.updatedAt) }));
}

/** When the newest correction changed, or null when there is none. */
export async function readNewestCorrectionTime(db: Database): Promise<Date | null> {
  const [row] = await db.sql.query<{ newest: Date | string | null }>(
    `SELECT max("updatedAt") AS newest FROM "LabeledExample" WHERE source = 'correction'`,
  );
  return row?.newest ? new Date(row.newest) : null;
}

/**
 * Stores a record's correction unless it already says exactly this label: one statement, so two
 * clicks of the same button (or the same button in two channels) store it once whatever their
 * timing. Returns false when nothing changed. A changed label moves `updatedAt`, which is what
 * makes the retrain see a re-correction as new. Whenever the text is stored, `textTakenAt` says when
 * it was read from the messages (taken on the clock that stamps Message.createdAt, after the read):
 * a message stored later was not in it.
 */
export async function upsertCorrection(
  tx: Prisma.TransactionClient,
  row: { recordId: string; label: string; text: string; createdBy: string | null; textTakenAt: Date },
): Promise<boolean> {
  const changed = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO "LabeledExample" (id, text, label, source, "recordId", "createdBy", "createdAt", "updatedAt", "textTakenAt")
     VALUES (gen_random_uuid(), $1, $2, 'correction', $3::uuid, $4, now(), now(), $5::timestamptz)
     ON CONFLICT ("recordId", source) DO UPDATE
        SET label = EXCLUDED.label, text = EXCLUDED.text, "createdBy" = EXCLUDED."createdBy", "updatedAt" = now(),
            "textTakenAt" = EXCLUDED."textTakenAt"
      WHERE "LabeledExample".label IS DISTINCT FROM EXCLUDED.label
     RETURNING id`,
    row.text,
    row.label,
    row.recordId,
    row.createdBy,
    row.textTakenAt,
  );
  return changed.length > 0;
}
