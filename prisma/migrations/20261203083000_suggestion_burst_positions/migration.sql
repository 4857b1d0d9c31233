-- A suggestion's place in its customer's burst comes from a stored position, handed out one at a time per
-- customer and target through a counter row (whose lock is held until the position is committed), instead of
-- from the deliveries' creation times: a delivery whose row committed after a later one had looked up its place
-- was missed by it, and both could take the same place.
ALTER TABLE "Delivery" ADD COLUMN "burstPosition" INTEGER;

CREATE TABLE "SuggestionBurstCounter" (
    "companyId" UUID NOT NULL,
    "target" TEXT NOT NULL,
    "lastPosition" INTEGER NOT NULL,

    CONSTRAINT "SuggestionBurstCounter_pkey" PRIMARY KEY ("companyId","target")
);

ALTER TABLE "SuggestionBurstCounter" ADD CONSTRAINT "SuggestionBurstCounter_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES "Company"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A burst in progress while this runs keeps its places: the suggestion deliveries of the last hour (a burst
-- spans ten minutes) are numbered in the order that decided their places until now (creation time, then id),
-- and each counter starts after them. Older deliveries can no longer be in any new suggestion's burst.
WITH placed AS (
  SELECT d.id, f."companyId", d.target,
         row_number() OVER (PARTITION BY f."companyId", d.target ORDER BY d."createdAt", d.id)::integer AS position
    FROM "Delivery" d
    JOIN "FollowUp" f ON f.id = (d.payload->>'followUpId')::uuid
   WHERE d.payload->>'kind' = 'suggestion' AND f."companyId" IS NOT NULL
     AND d."createdAt" > now() - interval '1 hour'
), numbered AS (
  UPDATE "Delivery" d SET "burstPosition" = placed.position FROM placed WHERE d.id = placed.id
)
INSERT INTO "SuggestionBurstCounter" ("companyId", "target", "lastPosition")
SELECT "companyId", target, max(position) FROM placed GROUP BY "companyId", target;
