import type { Database } from '../src/db/database.ts';

/** The instant the seeded history ends at. */
export const BENCH_NOW = new Date('2026-11-30T15:00:00Z');
const NOW = BENCH_NOW;

const TEXTS = [
  'Can you send the invoice for last month',
  'Our invoice shows the wrong VAT number',
  'Login fails after the password reset',
  'The calendar sync is broken again',
  'We need more seats for the new team',
  'Please send a quote for ten more licences',
  'We are considering cancelling our subscription',
  'Can we move our review call to Thursday',
  'Love the new reporting view, great work',
  'CSV export times out on large reports',
  'Shipping tracking number for our order please',
  'Is there an API for the monthly reports',
];
const LABELS = [
  'need',
  'need',
  'issue',
  'issue',
  'need',
  'purchase',
  'churn',
  'scheduling',
  'feedback',
  'issue',
  'other',
  'need',
];

/**
 * Seeds `customers` companies, 10 conversations each, 10 messages per conversation (inbound and
 * outbound turns, every 7th conversation left unanswered at the end), 3 logged calls for 3 customers
 * in 10 (the customer-wide answers of the turns), one classification per inbound message and call,
 * 2 follow-ups per customer; all spread over the year before NOW.
 */
export async function seedInsightsVolume(db: Database, customers: number): Promise<void> {
  const texts = `(ARRAY[${TEXTS.map((t) => `'${t}'`).join(',')}])`;
  const labels = `(ARRAY[${LABELS.map((t) => `'${t}'`).join(',')}])`;
  const records = customers * 10;
  await db.sql.exec(`
    INSERT INTO "Company" (id, name, "normalizedName", "updatedAt")
      SELECT md5('c' || i)::uuid, 'Bench Customer ' || i, 'bench customer ' || i, now() FROM generate_series(1, ${customers}) i;
    INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "startedAt", "lastMessageAt", "updatedAt")
      SELECT md5('r' || r)::uuid, md5('c' || (1 + r % ${customers}))::uuid,
             (ARRAY['email','slack','teams','email'])[1 + r % 4]::"ChannelKind", 'Conversation ' || r, 'bench:' || r,
             TIMESTAMPTZ '${NOW.toISOString()}' - ((r * 7919) % 365) * interval '1 day' - interval '6 hours',
             TIMESTAMPTZ '${NOW.toISOString()}' - ((r * 7919) % 365) * interval '1 day' - interval '6 hours' + interval '3 hours',
             now()
        FROM generate_series(1, ${records}) r;
    INSERT INTO "Message" (id, "recordId", "externalId", direction, "authorName", "authorEmail", text, "cleanText", "sentAt", "updatedAt")
      SELECT md5('m' || r || '-' || k)::uuid, md5('r' || r)::uuid, 'bench:' || r || ':' || k,
             (CASE WHEN k % 2 = 0 OR (r % 7 = 0 AND k = 9) THEN 'inbound' ELSE 'outbound' END)::"Direction",
             CASE WHEN k % 2 = 0 THEN 'Contact ' || r ELSE (ARRAY['Ann Rep','Bob Rep','Cy Rep'])[1 + r % 3] END,
             CASE WHEN k % 2 = 0 THEN 'contact' || r || '@customer.example' ELSE (ARRAY['ann','bob','cy'])[1 + r % 3] || '@ours.example' END,
             ${texts}[1 + (r * 31 + k) % ${TEXTS.length}], ${texts}[1 + (r * 31 + k) % ${TEXTS.length}],
             TIMESTAMPTZ '${NOW.toISOString()}' - ((r * 7919) % 365) * interval '1 day' - interval '6 hours' + k * interval '17 minutes' + ((r + k) % 5) * interval '3 minutes',
             now()
        FROM generate_series(1, ${records}) r, generate_series(0, 9) k;
    INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "startedAt", "lastMessageAt", "updatedAt")
      SELECT md5('call' || i || '-' || j)::uuid, md5('c' || i)::uuid, 'call', 'Call ' || i || '-' || j,
             'bench:call:' || i || ':' || j, x.at, x.at, now()
        FROM generate_series(1, ${customers}) i, generate_series(0, 2) j,
             LATERAL (SELECT TIMESTAMPTZ '${NOW.toISOString()}' - ((i * 131 + j * 97) % 365) * interval '1 day'
                             - interval '5 hours' AS at) x
       WHERE i % 10 < 3;
    INSERT INTO "Message" (id, "recordId", "externalId", direction, "authorName", "authorEmail", text, "cleanText", "sentAt", "updatedAt")
      SELECT md5('cm' || r.id)::uuid, r.id, r."sourceKey", 'internal', (ARRAY['Ann Rep','Bob Rep','Cy Rep'])[1 + i % 3],
             (ARRAY['ann','bob','cy'])[1 + i % 3] || '@ours.example', 'Called them about their open questions',
             'Called them about their open questions', r."startedAt", now()
        FROM "CommunicationRecord" r, LATERAL (SELECT abs(hashtext(r.id::text)) AS i) h
       WHERE r."channelKind" = 'call';
    INSERT INTO "Classification" (id, "recordId", "messageId", label, confidence, sentiment, "modelVersion")
      SELECT md5('k' || m.id)::uuid, m."recordId", m.id,
             ${labels}[1 + (abs(hashtext(m.text)) % ${LABELS.length})], 0.8,
             ((abs(hashtext(m.id::text)) % 200) - 100) / 100.0, 'bench'
        FROM "Message" m WHERE m.direction IN ('inbound', 'internal');
    INSERT INTO "FollowUp" (id, "companyId", title, "dueAt", status, source, "updatedAt")
      SELECT md5('f' || i)::uuid, md5('c' || (1 + i % ${customers}))::uuid, 'Follow up ' || i,
             TIMESTAMPTZ '${NOW.toISOString()}' + ((i % 40) - 20) * interval '1 day',
             (ARRAY['open','done','done'])[1 + i % 3]::"FollowUpStatus", 'manual', now()
        FROM generate_series(1, ${customers * 2}) i;
    ANALYZE;
  `);
}
