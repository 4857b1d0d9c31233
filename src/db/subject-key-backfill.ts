import { normalizeEmailSubject } from '../domain/email-subject.ts';
import { batchRows } from './batch-rows.ts';
import type { SqlRunner } from './database.ts';

/** The migration that adds CommunicationRecord.subjectKey, which this backfill fills in. */
export const SUBJECT_KEY_MIGRATION = '20261204040000_record_subject_key';

/** Records read and written per round trip: bounded memory on a large database. */
const PAGE = 5000;

/**
 * Gives every email record without one its subject key (normalizeEmailSubject of its subject, '' when
 * it has none), page by page in id order. Runs inside the migration's transaction; idempotent.
 * @returns how many records got a key.
 */
export async function backfillSubjectKeys(session: SqlRunner): Promise<number> {
  let done = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await session.query<{ id: string; subject: string | null }>(
      `SELECT id::text AS id, subject FROM "CommunicationRecord"
        WHERE "channelKind" = 'email'::"ChannelKind" AND "subjectKey" IS NULL AND id > $1::uuid
        ORDER BY id LIMIT ${PAGE}`,
      [after],
    );
    if (page.length === 0) return done;
    await session.query(
      `UPDATE "CommunicationRecord" r SET "subjectKey" = v.key FROM ${batchRows('v', [
        ['id', 'uuid'],
        ['key', 'text'],
      ])} WHERE r.id = v.id`,
      [page.map((r) => r.id), page.map((r) => normalizeEmailSubject(r.subject ?? ''))],
    );
    done += page.length;
    after = page[page.length - 1].id;
  }
}
