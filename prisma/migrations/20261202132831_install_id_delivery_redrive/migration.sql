-- Which deployment this database is. A process claims its Redis key prefix with this id at start, so a
-- second deployment (another database) pointed at the same prefix is refused instead of consuming the
-- first one's jobs and removing its schedules as "orphans". One row, created by the first start.
CREATE TABLE "Installation" (
    "id" UUID NOT NULL,
    "singleton" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Installation_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Installation_singleton_key" ON "Installation"("singleton");

-- Deliveries the reconciler re-derives: what the job carried (to queue it again without Redis), how
-- often it was driven again and when next, and the lease of the worker posting it now.
ALTER TABLE "Delivery" ADD COLUMN "payload" JSONB;
ALTER TABLE "Delivery" ADD COLUMN "redrives" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Delivery" ADD COLUMN "nextRedriveAt" TIMESTAMPTZ(3);
ALTER TABLE "Delivery" ADD COLUMN "leaseToken" UUID;
ALTER TABLE "Delivery" ADD COLUMN "leaseUntil" TIMESTAMPTZ(3);
-- The reconciler's scan for deliveries that are not sent (probes of the few pending/posting/failed rows).
CREATE INDEX "Delivery_status_updatedAt_idx" ON "Delivery"("status", "updatedAt");
