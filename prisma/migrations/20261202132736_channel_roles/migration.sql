-- Channel roles (issue 14). Until now one ChannelLink was both where a customer's conversations are
-- logged from and where its internal cards (suggestions quoting the customer, reminders, escalations,
-- digests) were posted: in a Slack Connect channel or a Teams channel with a guest, the customer read
-- the team's notes. A ChannelLink is now only the *customer channel* (a source); the *team channel*
-- (the destination of a customer's cards) is this table, one per customer.
CREATE TABLE "TeamChannel" (
    "id" UUID NOT NULL,
    "companyId" UUID NOT NULL,
    "platform" "Platform" NOT NULL,
    "channelRef" TEXT NOT NULL,
    "origin" TEXT NOT NULL DEFAULT 'command',
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TeamChannel_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "TeamChannel_companyId_key" ON "TeamChannel"("companyId");
CREATE INDEX "TeamChannel_platform_channelRef_idx" ON "TeamChannel"("platform", "channelRef");
ALTER TABLE "TeamChannel" ADD CONSTRAINT "TeamChannel_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing links keep receiving their customer's cards only where nothing says outsiders are there.
-- SQL cannot ask Slack or Teams who is in a channel, but the records can tell: a channel where a
-- customer's words were logged (an inbound message) has people from outside, so its link becomes
-- source-only and the cards go to RAPPORT_DEFAULT_CHANNEL. The others become the customer's team
-- channel (the most recently updated link, as cards were routed before) with origin 'migration'; the
-- last-step guard still asks the platform before every post there and drops the role when it finds
-- outsiders. Email links (mailboxes) never were a place to post to.
INSERT INTO "TeamChannel" ("id", "companyId", "platform", "channelRef", "origin", "createdBy", "createdAt", "updatedAt")
SELECT DISTINCT ON (l."companyId")
    gen_random_uuid(), l."companyId", l."platform", l."channelRef", 'migration', l."createdBy", CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM "ChannelLink" l
WHERE l."companyId" IS NOT NULL
  AND l."platform" <> 'email'
  AND NOT EXISTS (
    SELECT 1 FROM "Message" m
    WHERE m."direction" = 'inbound'
      AND m."externalId" LIKE l."platform"::text || ':' || replace(replace(replace(l."channelRef", '\', '\\'), '%', '\%'), '_', '\_') || '/%'
  )
ORDER BY l."companyId", l."updatedAt" DESC;
