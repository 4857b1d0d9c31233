import type { Database, SqlRunner } from './database.ts';

/** Where the job records up to when (a UTC midnight, exclusive) the rollups hold every day. */
const COVERAGE_KEY = 'rollups:until';

/** Channels a customer writes in and expects an answer on (as customerTurns in insights.repository.ts). */
const ANSWERED_CHANNELS = `('email','slack','teams','console')`;

/**
 * Rebuilds InsightDaily (inbound messages per UTC day, conversation and label: count, sentiment sum
 * and count, last one) and InsightTurn (every customer turn with its first reply) from everything sent
 * before `until` (a UTC midnight), in one transaction, then records `until` as their coverage.
 * Readers see the previous rollups until it commits. Rows are written in date order: a period's
 * rows then sit on few pages.
 */
export async function rebuildInsightRollups(db: Database, until: Date): Promise<void> {
  if (until.getTime() % 86_400_000 !== 0) throw new Error(`rollups end at a UTC midnight, not ${until.toISOString()}`);
  const at = `TIMESTAMPTZ '${until.toISOString()}'`;
  await db.withSession(async (s) => {
    await s.exec('BEGIN');
    try {
      await s.exec(`
        DELETE FROM "InsightDaily";
        INSERT INTO "InsightDaily" (day, "recordId", label, inbound, "sentimentSum", "sentimentN", "lastInboundAt")
          SELECT (m."sentAt" AT TIME ZONE 'UTC')::date, m."recordId", COALESCE(c."correctedLabel", c.label, ''),
                 count(*)::int, COALESCE(sum(c.sentiment), 0), count(c.sentiment)::int, max(m."sentAt")
            FROM "Message" m
            LEFT JOIN "Classification" c ON c."recordId" = m."recordId" AND c."messageId" = m.id
           WHERE m.direction = 'inbound' AND m."sentAt" < ${at}
           GROUP BY 1, 2, 3
           ORDER BY 1;
        DELETE FROM "InsightTurn";
        INSERT INTO "InsightTurn" ("messageId", "recordId", first, "askedAt", "replyId", "repliedAt", "replyAuthorName", "replyAuthorEmail")
          WITH msgs AS (
            SELECT m.id, m."recordId", m.direction, m."sentAt"
              FROM "CommunicationRecord" r JOIN "Message" m ON m."recordId" = r.id
             WHERE r."channelKind" IN ${ANSWERED_CHANNELS} AND m.direction IN ('inbound', 'outbound') AND m."sentAt" < ${at}
          ), seq AS (
            SELECT msgs.*,
                   lag(direction) OVER (PARTITION BY "recordId" ORDER BY "sentAt", id) AS "prevDirection",
                   min(CASE WHEN direction = 'outbound' THEN "sentAt" END)
                     OVER (PARTITION BY "recordId" ORDER BY "sentAt" DESC, id DESC ROWS UNBOUNDED PRECEDING) AS "replyAt"
              FROM msgs
          )
          SELECT o.id, o."recordId", o."prevDirection" IS NULL, o."sentAt", rep.id, rep."sentAt", rep."authorName", rep."authorEmail"
            FROM seq o
            LEFT JOIN LATERAL (
              SELECT x.id, x."sentAt", x."authorName", x."authorEmail" FROM "Message" x
               WHERE x."recordId" = o."recordId" AND x."sentAt" = o."replyAt" AND x.direction = 'outbound'
               ORDER BY x.id LIMIT 1) rep ON o."replyAt" IS NOT NULL
           WHERE o.direction = 'inbound' AND o."prevDirection" IS DISTINCT FROM 'inbound'
           ORDER BY o."sentAt";
        INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ('${COVERAGE_KEY}', '{}'::jsonb, ${at})
          ON CONFLICT (key) DO UPDATE SET "computedAt" = EXCLUDED."computedAt";
      `);
      await s.exec('COMMIT');
    } catch (err) {
      await s.exec('ROLLBACK').catch(() => {});
      throw err;
    }
    // Fresh statistics right away: planned on the empty tables' guesses, reading 60,000 turns sorted on disk.
    await s.exec('ANALYZE "InsightDaily"; ANALYZE "InsightTurn"');
  });
}

/** Up to when (exclusive UTC midnight) the rollups hold every day, or undefined before the first rebuild. */
export async function rollupCoverage(sql: SqlRunner): Promise<Date | undefined> {
  const [row] = await sql.query<{ computedAt: Date | string }>(
    `SELECT "computedAt" FROM "InsightSnapshot" WHERE key = $1`,
    [COVERAGE_KEY],
  );
  return row ? new Date(row.computedAt) : undefined;
}
