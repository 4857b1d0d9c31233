/**
 * What a customer turn is, in SQL, once: the live insights (insights.repository.ts) and the rollup
 * job that stores the turns (insight-rollups.repository.ts) both build their query from here, so the
 * stored figures cannot drift from the live ones.
 *
 * A turn opens at an inbound message that is not an acknowledgement (ACKNOWLEDGEMENT) and whose
 * previous non-acknowledgement message in the conversation is not inbound (the conversation's first
 * message, or the first after a reply). Its reply is the first answer at or after it (ties: the lowest
 * id): an outbound message in the same conversation, or a call or meeting a rep logged for the customer
 * (ANSWERING_LOGS). A reply in another of the customer's conversations does not answer it: a customer
 * with several open tickets has each answered on its own. Only conversations a customer expects an
 * answer on open turns.
 */

/** Channels a customer writes in and expects an answer on (calls, meetings and notes are logged, not answered). */
export const ANSWERED_CHANNELS = `('email','slack','teams','console')`;

/** Logged records whose `internal` message answers the customer: a rep talked to them (a note does not). */
export const ANSWERING_LOGS = `('call','meeting')`;

/**
 * Starts an acknowledgement: thanks / ok / great / got it ... or 谢谢 / 好的 / 收到 ..., then a non-letter
 * or the end ("okta" is not "ok").
 */
const ACK_START =
  '^(thanks|thank you|thank u|thx|ty|tyvm|cheers|many thanks|much appreciated|appreciated|ok|okay|great|perfect' +
  '|awesome|excellent|brilliant|wonderful|got it|sounds good|noted|will do|all good|understood|received' +
  '|谢谢|多谢|感谢|謝謝|多謝|感謝|好的|收到|明白|了解|知道了)([^a-z]|$)';

/** The letters ACK_START's words begin with. */
const FIRST_LETTERS = [...'tcmaogpebwsnur谢多感謝好收明了知'].map((c) => `'${c}'`).join(',');

/**
 * Anything that may ask again: a question mark, a contrast or negation ("but", "still", "not", "n't",
 * 但/还是/不/没), a problem word, a request or question word (please, can you, how, 请/吗/怎么/再/还有),
 * or an act a customer asks of us in one word ("ok, cancel", "thanks, refund", 好的，取消吧): a name is
 * the one other word an acknowledgement may hold (ACK_REST), and these were taken for one.
 */
const ASKS_AGAIN =
  "[?？]|n['’]t\\M|\\m(but|still|however|though|although|not|no|never|cannot|unable|fail\\w*|error\\w*|broken|bugs?" +
  '|issues?|problems?|wrong|again|please|pls|plz|help|need\\w*|when|how|what|why|where|which|who|also|another' +
  '|urgent\\w*|can you|could you|would you' +
  '|cancel\\w*|refund\\w*|terminat\\w*|unsubscrib\\w*|stop\\w*|delete\\w*|remove\\w*|downgrad\\w*' +
  '|complain\\w*|escalat\\w*|quit\\w*|leav\\w*)\\M' +
  '|取消|退款|退货|退貨|退订|退訂|解约|解約|投诉|投訴|停用|注销|註銷|删除|刪除' +
  '|但|可是|不过|不過|还是|還是|仍|依然|不|没|沒|无法|無法|问题|問題|错|錯|失败|失敗|报错|報錯|请|請|能否|吗|嗎|呢' +
  '|怎|什么|什麼|为什么|為什麼|哪|何时|何時|再|另外|还有|還有|帮|幫';

/**
 * The words an acknowledgement is made of (thanks, ok, got it, have a nice weekend; 谢谢, 好的, 收到, 了,
 * 您): what is left once they are taken out must be next to nothing (ACK_REST), so "ok, we want to cancel
 * our subscription", "great, can we do a call tomorrow" and 收到的货少了两件 ("what arrived is two short")
 * are not acknowledgements, however they start.
 */
const ACK_WORDS =
  '\\m(thanks|thank|you|u|thx|ty|tyvm|cheers|many|much|so|very|really|a|lot|lots|appreciated|appreciate|it|ok|okay' +
  '|great|perfect|perfectly|awesome|excellent|brilliant|wonderful|nice|got|sounds|good|noted|will|do|all|understood' +
  '|received|that|this|works|worked|fine|now|for|the|your|quick|reply|response|update|info|team|guys|everyone' +
  '|have|weekend|day|evening|best|regards|kind|sure|yes|yep|cool|indeed|and|to|hear|is|was|s|be|just)\\M' +
  '|谢谢|多谢|感谢|謝謝|多謝|感謝|好的|收到|明白|了解|知道|了|啦|哈|嗯|您|你|非常|太|好|的|啊|呀|哦|噢';

/**
 * What may be left of an acknowledgement without its ACK_WORDS: at most one other word (a name: "Thanks
 * Anna!") and two Chinese characters (a title: 收到，谢谢王总), besides punctuation, digits and emoji.
 */
function ackRest(text: string): string {
  const rest = `regexp_replace(${text}, ${literal(ACK_WORDS)}, ' ', 'g')`;
  return `(btrim(regexp_replace(${rest}, '[^a-z]+', ' ', 'g')) ~ '^[a-z]*$'
           AND char_length(regexp_replace(${rest}, '[^\u4e00-\u9fff]', '', 'g')) <= 2)`;
}

/** The longest acknowledgement, in characters of the cleaned text (quotes and signatures removed). */
export const ACKNOWLEDGEMENT_MAX_CHARS = 100;

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Whether message `m` is an acknowledgement that asks nothing: at most ACKNOWLEDGEMENT_MAX_CHARS, starts
 * with a thanks/ok word (ACK_START) and holds nothing that may ask again (ASKS_AGAIN). "Thanks, that
 * worked perfectly!" and "好的，收到" are; "Thanks, but it still fails", "ok, how do I export?" and
 * "谢谢，还是不行" are not. Read from the words alone, not the classifier's label: no label means "asks
 * nothing" (`other` and `feedback` hold complaints too), and a label comes later than the message, so
 * the turns (and the rollups holding them) would change under a reclassification.
 */
export function acknowledgementSql(m: string): string {
  const trimmed = `btrim(${m}."cleanText", E' \\t\\r\\n')`;
  const text = `lower(${trimmed})`;
  // The first letter first: most messages fail there, before the regular expressions (45-day live turns
  // at 100,000 short seeded messages, load 25: 841 ms without it, 500 ms with it; 151 ms before this rule).
  return `(lower(left(${trimmed}, 1)) IN (${FIRST_LETTERS}) AND char_length(${trimmed}) <= ${ACKNOWLEDGEMENT_MAX_CHARS}
           AND ${text} ~ ${literal(ACK_START)} AND ${text} !~ ${literal(ASKS_AGAIN)} AND ${ackRest(text)})`;
}

/** The parts of a turns query that differ between its readers. */
export interface CustomerTurnsQuery {
  /** More conditions on the conversation `r` and message `m` (ANDed; answers in other conversations are read through them too). Default none. */
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

/** A reply's sort key: its time, fixed width, then its conversation's id (what the reply probe reads back). */
const KEY = `to_char("sentAt" AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || "recordId"::text`;

/**
 * The turns query. One pass over the messages: the previous message's direction per conversation (lag)
 * and the first answer at or after each message (running mins over the rows after it: outbound ones of
 * its conversation, logged calls and meetings of its customer; a
 * conversation without a customer is its own); a LATERAL probe per message instead took 1 s for 8,000
 * messages (bench:insights). The same running min carries the answer's conversation ("replyKey": its
 * time, fixed width, then its record id), so the reply is one probe on Message (recordId, sentAt):
 * probing by time alone and checking each message's customer took 3.9 s for 45-day live turns at
 * 100,000 messages where this takes 0.8 s.
 * Answers at the same millisecond in two conversations: the lower record id's.
 */
export function customerTurnsSql(q: CustomerTurnsQuery): string {
  const carry = q.carry?.length ? `, ${q.carry.join(', ')}` : '';
  return `WITH msgs AS (
       SELECT m.id, m."recordId", m.direction, m."sentAt", COALESCE(r."companyId", r.id) AS party,
              r."channelKind" IN ${ANSWERED_CHANNELS} AS conversation${carry}
         FROM "CommunicationRecord" r
         JOIN "Message" m ON m."recordId" = r.id
        WHERE ((r."channelKind" IN ${ANSWERED_CHANNELS} AND (m.direction = 'outbound' OR (m.direction = 'inbound' AND NOT ${acknowledgementSql('m')})))
               OR (r."channelKind" IN ${ANSWERING_LOGS} AND m.direction = 'internal' AND r."companyId" IS NOT NULL))${q.messagesWhere ? ` AND ${q.messagesWhere}` : ''}
     ), seq AS (
       SELECT msgs.*,
              lag(direction) OVER (PARTITION BY "recordId" ORDER BY "sentAt", id) AS "prevDirection",
              LEAST(min(CASE WHEN direction = 'outbound' THEN "sentAt" END) OVER here,
                    min(CASE WHEN direction = 'internal' THEN "sentAt" END) OVER party) AS "replyAt",
              LEAST(min(CASE WHEN direction = 'outbound' THEN ${KEY} END) OVER here,
                    min(CASE WHEN direction = 'internal' THEN ${KEY} END) OVER party) AS "replyKey"
         FROM msgs
       WINDOW here AS (PARTITION BY "recordId" ORDER BY "sentAt" DESC, id DESC ROWS UNBOUNDED PRECEDING),
              party AS (PARTITION BY party ORDER BY "sentAt" DESC, id DESC ROWS UNBOUNDED PRECEDING)
     )
     SELECT ${q.select}
       FROM seq o
       LEFT JOIN LATERAL (
         SELECT x.id, x."sentAt", x."authorName", x."authorEmail" FROM "Message" x
          WHERE x."recordId" = substr(o."replyKey", 21)::uuid AND x."sentAt" = o."replyAt" AND x.direction IN ('outbound', 'internal')
          ORDER BY x.id LIMIT 1) rep ON o."replyAt" IS NOT NULL
       ${q.joins ?? ''}
      WHERE o.conversation AND o.direction = 'inbound' AND o."prevDirection" IS DISTINCT FROM 'inbound'${q.where ? ` AND ${q.where}` : ''}
      ORDER BY ${q.orderBy}`;
}
