-- Both tables held from the start (the migration runs in one transaction): a delete of the old release
-- cannot leave an orphan between the clean-up below and the foreign key's check, and the migration
-- gives up after 5 s instead of queueing every write behind it while it waits for its locks.
SET LOCAL lock_timeout = '5s';
LOCK TABLE "CommunicationRecord", "LabeledExample" IN SHARE ROW EXCLUSIVE MODE;

-- A training example belongs to the record its text was taken from: deleting the record (its last
-- message deleted on the platform) deletes its example, which no erasure could find by record after.
-- Examples whose record is already gone (left by such deletions before this release) hold words their
-- authors took back and that no record leads to: the learned models that may have read them are
-- withdrawn as an erasure withdraws them (withdrawModelsTrainedSince: trained since the oldest of them
-- was first stored, or unknown), the withdrawal written to the audit log so the nightly retrain runs
-- again, the newest built-in model activated if the active one went; then the examples are deleted.
CREATE TEMP TABLE "_orphanTrainingText" ON COMMIT DROP AS
SELECT min(e."createdAt") AS since
  FROM "LabeledExample" e
 WHERE e."recordId" IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM "CommunicationRecord" r WHERE r.id = e."recordId");

CREATE TEMP TABLE "_withdrawnModel" ON COMMIT DROP AS
WITH gone AS (
  DELETE FROM "Model"
   WHERE (SELECT since FROM "_orphanTrainingText") IS NOT NULL
     AND ("trainingSummary"->>'correctionsSeen' IS NOT NULL OR "trainingSummary"->>'source' = 'seed + corrections')
     AND COALESCE(("trainingSummary"->>'correctionsSeen')::timestamptz >= (SELECT since FROM "_orphanTrainingText"), true)
  RETURNING version, active
)
SELECT version, active FROM gone;

UPDATE "Model" SET active = true
 WHERE id = (SELECT id FROM "Model" WHERE version LIKE 'crm-default-%' ORDER BY "createdAt" DESC LIMIT 1)
   AND EXISTS (SELECT 1 FROM "_withdrawnModel" WHERE active)
   AND NOT EXISTS (SELECT 1 FROM "Model" WHERE active);

INSERT INTO "AuditLog" (id, action, actor, details)
SELECT gen_random_uuid(), 'model.withdraw', 'migration',
       jsonb_build_object('versions', jsonb_agg(version ORDER BY version), 'reason', 'orphan training examples')
  FROM "_withdrawnModel"
HAVING count(*) > 0;

DELETE FROM "LabeledExample" e
 WHERE e."recordId" IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM "CommunicationRecord" r WHERE r.id = e."recordId");

-- AddForeignKey
ALTER TABLE "LabeledExample" ADD CONSTRAINT "LabeledExample_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "CommunicationRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- When the text was taken from the record's messages: a message stored later was never in it (a
-- platform delete of one changes nothing) and a rebuild takes only the messages up to then. An existing
-- text was taken when its label last changed (upsertCorrection sets both).
ALTER TABLE "LabeledExample" ADD COLUMN "textTakenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "LabeledExample" SET "textTakenAt" = "updatedAt";
