-- One suggestion waiting for Accept or Dismiss per conversation, enforced by the database instead of a
-- check before each insert (two concurrent classify jobs could both pass that check). The classify job
-- inserts with ON CONFLICT DO NOTHING, so a second suggestion for a record is simply not written.

-- Suggestions that such a race left behind: keep the oldest of a record waiting, dismiss the rest.
UPDATE "FollowUp" f
SET status = 'dismissed', "updatedAt" = CURRENT_TIMESTAMP
WHERE f.status = 'suggested'
  AND f."recordId" IS NOT NULL
  AND EXISTS (
    SELECT 1 FROM "FollowUp" o
    WHERE o."recordId" = f."recordId" AND o.status = 'suggested' AND (o."createdAt", o.id) < (f."createdAt", f.id)
  );

-- CreateIndex
CREATE UNIQUE INDEX "FollowUp_recordId_suggested_key" ON "FollowUp"("recordId") WHERE status = 'suggested';
