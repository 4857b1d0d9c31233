-- A suggestion's place in its burst was read by joining every delivery to its target in the last ten minutes
-- (all customers' suggestions in a team channel) to its follow-up, for every suggestion: quadratic in a burst,
-- and PostgreSQL spent seconds per suggestion once thousands went to one channel. The customer is now stored
-- on the delivery when it takes its burst position, and the place is read from that customer's deliveries only.
ALTER TABLE "Delivery" ADD COLUMN "burstCompanyId" UUID;

-- Deliveries that already took a position (they may still be in a burst).
UPDATE "Delivery" d SET "burstCompanyId" = f."companyId"
  FROM "FollowUp" f
 WHERE d."burstPosition" IS NOT NULL AND d.payload->>'kind' = 'suggestion'
   AND f.id = (d.payload->>'followUpId')::uuid;

CREATE INDEX "Delivery_burstCompanyId_target_createdAt_idx" ON "Delivery"("burstCompanyId", "target", "createdAt");
