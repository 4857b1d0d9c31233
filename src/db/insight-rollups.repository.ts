import { type BusinessHours, businessMinutesBetween } from '../domain/business-hours.ts';
import { customerTurnsSql } from './customer-turns.sql.ts';
import { customerVoice } from './customer-voice.sql.ts';
import type { Database, SqlRunner } from './database.ts';

/** Where the job records up to when (a UTC midnight, exclusive) the rollups hold every day. */
const COVERAGE_KEY = 'rollups:until';

/** Answered turns timed per UPDATE when the rollups store reply minutes. */
const MINUTES_BATCH = 20_000;

/** What identifies a business-hours configuration: stored reply minutes hold only for the same one. */
export function businessHoursKey(hours: BusinessHours): string {
  return JSON.stringify([hours.timeZone, hours.startMinute, hours.endMinute, [...hours.days].sort()]);
}

/**
 * Rebuilds InsightDaily (inbound messages per UTC day, conversation and label: count, sentiment sum
 * and count, last one), InsightRecordDaily (the same per day and conversation, churn and issue
 * counted apart) and InsightTurn (every customer turn with its first reply) from everything sent
 * before `until` (a UTC midnight), in one transaction, then records `until` as their coverage.
 * Readers see the previous rollups until it commits. Rows are written in date order: a period's
 * rows then sit on few pages. With `hours`, every answered turn also stores its reply time in those
 * business minutes (`replyMinutes`, keyed on the coverage row): response-time figures then aggregate
 * in SQL instead of timing each turn in JavaScript. The stale-day marks (InsightStaleDay, written by
 * triggers with every change of a message or classification) committed before it read the messages
 * are deleted with it; later ones stay.
 */
export async function rebuildInsightRollups(db: Database, until: Date, hours?: BusinessHours): Promise<void> {
  if (until.getTime() % 86_400_000 !== 0) throw new Error(`rollups end at a UTC midnight, not ${until.toISOString()}`);
  const at = `TIMESTAMPTZ '${until.toISOString()}'`;
  await db.withSession(async (s) => {
    await s.exec('BEGIN');
    try {
      // The stale marks first, in a statement of their own: the marks it sees were committed before it ran, so
      // before the statements below read the messages (each reads what was committed when it starts), and
      // their changes are in the new rows. A change committed after stays marked and is read live until the
      // next rebuild: a rebuild running while a rep corrects a label never brings the old one back.
      // (Under PGlite one connection runs everything in turn.)
      await s.exec(`DELETE FROM "InsightStaleDay"`);
      await s.exec(`
        DELETE FROM "InsightDaily";
        INSERT INTO "InsightDaily" (day, "recordId", label, inbound, "sentimentSum", "sentimentN", "lastInboundAt")
          SELECT (m."sentAt" AT TIME ZONE 'UTC')::date, m."recordId", COALESCE(c."correctedLabel", c.label, ''),
                 count(*)::int, COALESCE(sum(c.sentiment), 0), count(c.sentiment)::int, max(m."sentAt")
            FROM "Message" m
            LEFT JOIN "Classification" c ON c."recordId" = m."recordId" AND c."messageId" = m.id
           WHERE ${customerVoice('m')} AND m."sentAt" < ${at}
           GROUP BY 1, 2, 3
           ORDER BY 1;
        DELETE FROM "InsightRecordDaily";
        INSERT INTO "InsightRecordDaily" (day, "recordId", inbound, churn, issue, "sentimentSum", "sentimentN", "lastInboundAt")
          SELECT day, "recordId", sum(inbound)::int,
                 COALESCE(sum(inbound) FILTER (WHERE label = 'churn'), 0)::int,
                 COALESCE(sum(inbound) FILTER (WHERE label = 'issue'), 0)::int,
                 sum("sentimentSum"), sum("sentimentN")::int, max("lastInboundAt")
            FROM "InsightDaily"
           GROUP BY 1, 2
           ORDER BY 1;
        DELETE FROM "InsightTurn";
        INSERT INTO "InsightTurn" ("messageId", "recordId", first, "askedAt", "replyId", "repliedAt", "replyAuthorName", "replyAuthorEmail")
          ${customerTurnsSql({
            messagesWhere: `m."sentAt" < ${at}`,
            select: `o.id, o."recordId", o."prevDirection" IS NULL, o."sentAt", rep.id, rep."sentAt", rep."authorName", rep."authorEmail"`,
            orderBy: 'o."sentAt"',
          })};
      `);
      if (hours) await storeReplyMinutes(s, hours);
      await s.query(
        `INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ($1, $2::jsonb, $3)
           ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, "computedAt" = EXCLUDED."computedAt"`,
        [COVERAGE_KEY, JSON.stringify(hours ? { hours: businessHoursKey(hours) } : {}), until],
      );
      await s.exec('COMMIT');
    } catch (err) {
      await s.exec('ROLLBACK').catch(() => {});
      throw err;
    }
    // Fresh statistics right away: planned on the empty tables' guesses, reading 60,000 turns sorted on disk.
    // VACUUM too: every rebuild leaves the previous rows dead, and on a busy server autovacuum had not
    // come by after 6 rebuilds (InsightTurn 590 MB, 3.4M dead rows for 0.5M live, every 45d read slower:
    // bench:insights with BENCH_REUSE). One statement: VACUUM cannot run in a multi-statement block.
    await s.exec('VACUUM (ANALYZE) "InsightDaily", "InsightRecordDaily", "InsightTurn", "InsightStaleDay"');
  });
}

/** Times every answered stored turn in business minutes, in batches (inside the rebuild's transaction). */
async function storeReplyMinutes(s: SqlRunner, hours: BusinessHours): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await s.query<{ id: string; askedAt: Date | string; repliedAt: Date | string }>(
      `SELECT "messageId" AS id, "askedAt", "repliedAt" FROM "InsightTurn"
        WHERE "repliedAt" IS NOT NULL AND "messageId" > $1 ORDER BY "messageId" LIMIT ${MINUTES_BATCH}`,
      [after],
    );
    if (rows.length === 0) return;
    const minutes = rows.map((r) => businessMinutesBetween(new Date(r.askedAt), new Date(r.repliedAt), hours));
    await s.query(
      `UPDATE "InsightTurn" t SET "replyMinutes" = v.m
         FROM unnest($1::uuid[], $2::float8[]) AS v(id, m) WHERE t."messageId" = v.id`,
      [rows.map((r) => r.id), minutes],
    );
    after = rows[rows.length - 1].id;
  }
}

/** Up to when (exclusive UTC midnight) the rollups hold every day, or undefined before the first rebuild. */
export async function rollupCoverage(sql: SqlRunner): Promise<Date | undefined> {
  return (await rollupState(sql))?.until;
}

/** The rollups' coverage end and the business-hours key their reply minutes were timed in (none: not timed). */
export async function rollupState(sql: SqlRunner): Promise<{ until: Date; hoursKey: string | undefined } | undefined> {
  const [row] = await sql.query<{ computedAt: Date | string; body: { hours?: string } | string }>(
    `SELECT "computedAt", body FROM "InsightSnapshot" WHERE key = $1`,
    [COVERAGE_KEY],
  );
  if (!row) return undefined;
  const body = typeof row.body === 'string' ? (JSON.parse(row.body) as { hours?: string }) : row.body;
  return { until: new Date(row.computedAt), hoursKey: body?.hours };
}
