-- InsightDaily per day and conversation (labels summed, churn and issue apart): what the health score reads.
CREATE TABLE "InsightRecordDaily" (
    "day" DATE NOT NULL,
    "recordId" UUID NOT NULL,
    "inbound" INTEGER NOT NULL,
    "churn" INTEGER NOT NULL,
    "issue" INTEGER NOT NULL,
    "sentimentSum" DOUBLE PRECISION NOT NULL,
    "sentimentN" INTEGER NOT NULL,
    "lastInboundAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "InsightRecordDaily_pkey" PRIMARY KEY ("day","recordId")
);

-- Filled from the rollups already built, so their coverage holds for the new table until the next rebuild.
INSERT INTO "InsightRecordDaily" ("day", "recordId", "inbound", "churn", "issue", "sentimentSum", "sentimentN", "lastInboundAt")
  SELECT "day", "recordId", sum("inbound")::int,
         COALESCE(sum("inbound") FILTER (WHERE "label" = 'churn'), 0)::int,
         COALESCE(sum("inbound") FILTER (WHERE "label" = 'issue'), 0)::int,
         sum("sentimentSum"), sum("sentimentN")::int, max("lastInboundAt")
    FROM "InsightDaily" GROUP BY 1, 2 ORDER BY 1;
