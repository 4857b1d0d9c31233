/**
 * What a customer turn is, in SQL, once: the live insights (insights.repository.ts) and the rollup
 * job that stores the turns (insight-rollups.repository.ts) both build their query from here, so the
 * stored figures cannot drift from the live ones.
 *
 * A turn opens at an inbound message whose previous message in the conversation is not inbound (the
 * conversation's first message, or the first after a reply); its reply is the first outbound message
 * at or after it (ties: the lowest id). Only conversations a customer expects an answer on count.
 */

/** Channels a customer writes in and expects an answer on (calls, meetings and notes are logged, not answered). */
export const ANSWERED_CHANNELS = `('email','slack','teams','console')`;

/** The parts of a turns query that differ between its readers. */
export interface CustomerTurnsQuery {
  /** More conditions on the conversation `r` and message `m` (ANDed). Default none. */
  messagesWhere?: string;
  /** Columns of `r` carried with each message, e.g. `r."companyId"`. Default none. */
  carry?: string[];
  /** The select list, over `o` (the turn's message: id, "recordId", direction, "sentAt", "prevDirection", "replyAt", carried columns) and `rep` (its reply: id, "sentAt", "authorName", "authorEmail"; null when unanswered). */
  select: string;
  /** Joins after the reply's, e.g. the company's name. Default none. */
  joins?: string;
  /** More conditions on `o` (ANDed). Default none. */
  where?: string;
  orderBy: string;
}

/**
 * The turns query. One pass over the messages: the previous message's direction (lag) and the first
 * outbound at or after each message (a running min over the rows after it); a LATERAL probe per
 * message instead took 1 s for 8,000 messages (bench:insights).
 */
export function customerTurnsSql(q: CustomerTurnsQuery): string {
  const carry = q.carry?.length ? `, ${q.carry.join(', ')}` : '';
  return `WITH msgs AS (
       SELECT m.id, m."recordId", m.direction, m."sentAt"${carry}
         FROM "CommunicationRecord" r
         JOIN "Message" m ON m."recordId" = r.id
        WHERE r."channelKind" IN ${ANSWERED_CHANNELS} AND m.direction IN ('inbound', 'outbound')${q.messagesWhere ? ` AND ${q.messagesWhere}` : ''}
     ), seq AS (
       SELECT msgs.*,
              lag(direction) OVER (PARTITION BY "recordId" ORDER BY "sentAt", id) AS "prevDirection",
              min(CASE WHEN direction = 'outbound' THEN "sentAt" END)
                OVER (PARTITION BY "recordId" ORDER BY "sentAt" DESC, id DESC ROWS UNBOUNDED PRECEDING) AS "replyAt"
         FROM msgs
     )
     SELECT ${q.select}
       FROM seq o
       LEFT JOIN LATERAL (
         SELECT x.id, x."sentAt", x."authorName", x."authorEmail" FROM "Message" x
          WHERE x."recordId" = o."recordId" AND x."sentAt" = o."replyAt" AND x.direction = 'outbound'
          ORDER BY x.id LIMIT 1) rep ON o."replyAt" IS NOT NULL
       ${q.joins ?? ''}
      WHERE o.direction = 'inbound' AND o."prevDirection" IS DISTINCT FROM 'inbound'${q.where ? ` AND ${q.where}` : ''}
      ORDER BY ${q.orderBy}`;
}
