-- Whole-team insights computed by the refresh-insights job, served while fresh.
CREATE TABLE "InsightSnapshot" (
    "key" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "computedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "InsightSnapshot_pkey" PRIMARY KEY ("key")
);
