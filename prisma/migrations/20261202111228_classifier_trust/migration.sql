-- When a correction last changed. Re-correcting a record updates the row in place (one correction per
-- record), and the nightly retrain asks "anything corrected since the last attempt?" by this column:
-- createdAt never moved, so a re-correction was never retrained on. Existing rows start at createdAt.
ALTER TABLE "LabeledExample" ADD COLUMN "updatedAt" TIMESTAMPTZ(3);
UPDATE "LabeledExample" SET "updatedAt" = "createdAt";
ALTER TABLE "LabeledExample" ALTER COLUMN "updatedAt" SET NOT NULL;
ALTER TABLE "LabeledExample" ALTER COLUMN "updatedAt" SET DEFAULT CURRENT_TIMESTAMP;
CREATE INDEX "LabeledExample_updatedAt_idx" ON "LabeledExample"("updatedAt");

-- Labels an administrator added (`rapport model label add`) beyond the active model's: reps may
-- correct to them, and the next retrain learns them. Everything else `label` refuses.
CREATE TABLE "ClassifierLabel" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClassifierLabel_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "ClassifierLabel_name_key" ON "ClassifierLabel"("name");
