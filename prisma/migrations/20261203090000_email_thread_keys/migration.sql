-- Email threading by every id a thread holds or names, not by the one id its record is named after:
-- replies that name the same missing message, or a chain whose middle is missing, join one thread in
-- any arrival order.
CREATE TABLE "EmailThreadKey" (
    "key" TEXT NOT NULL,
    "recordId" UUID NOT NULL,

    CONSTRAINT "EmailThreadKey_pkey" PRIMARY KEY ("key")
);

CREATE INDEX "EmailThreadKey_recordId_idx" ON "EmailThreadKey"("recordId");

ALTER TABLE "EmailThreadKey" ADD CONSTRAINT "EmailThreadKey_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "CommunicationRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The threads logged so far: each record's name, its messages' ids, and the ids they answer (as
-- emailIdKey writes them: ids over 500 characters by their sha256). An id two records hold goes to the
-- record named after it, else to the one whose message has it, else to the oldest record.
INSERT INTO "EmailThreadKey" ("key", "recordId")
SELECT DISTINCT ON (k."key") k."key", k."recordId"
FROM (
    SELECT r."sourceKey" AS "key", r.id AS "recordId", 0 AS rank, r."createdAt"
    FROM "CommunicationRecord" r
    WHERE r."channelKind" = 'email'::"ChannelKind" AND r."sourceKey" LIKE 'email:%'
    UNION ALL
    SELECT m."externalId", m."recordId", 1, m."createdAt"
    FROM "Message" m
    WHERE m."externalId" LIKE 'email:<%' OR m."externalId" LIKE 'email:idhash:%'
    UNION ALL
    SELECT CASE WHEN length(n.id) <= 500 THEN 'email:<' || n.id || '>'
                ELSE 'email:idhash:' || encode(sha256(convert_to(n.id, 'UTF8')), 'hex') END,
           n."recordId", 2, n."createdAt"
    FROM (
        SELECT m."recordId", m."createdAt", m.metadata->>'inReplyTo' AS id
        FROM "Message" m
        WHERE m."externalId" LIKE 'email:%' AND jsonb_typeof(m.metadata->'inReplyTo') = 'string'
        UNION ALL
        SELECT m."recordId", m."createdAt", ref.id
        FROM "Message" m CROSS JOIN LATERAL jsonb_array_elements_text(m.metadata->'references') AS ref(id)
        WHERE m."externalId" LIKE 'email:%' AND jsonb_typeof(m.metadata->'references') = 'array'
    ) n
    WHERE n.id <> ''
) k
ORDER BY k."key", k.rank, k."createdAt";
