-- Daily rollups and stored customer turns, rebuilt by the refresh-insights job, for periods without a snapshot.
CREATE TABLE "InsightDaily" (
    "day" DATE NOT NULL,
    "recordId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "inbound" INTEGER NOT NULL,
    "sentimentSum" DOUBLE PRECISION NOT NULL,
    "sentimentN" INTEGER NOT NULL,
    "lastInboundAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "InsightDaily_pkey" PRIMARY KEY ("day","recordId","label")
);

CREATE TABLE "InsightTurn" (
    "messageId" UUID NOT NULL,
    "recordId" UUID NOT NULL,
    "first" BOOLEAN NOT NULL,
    "askedAt" TIMESTAMPTZ(3) NOT NULL,
    "replyId" UUID,
    "repliedAt" TIMESTAMPTZ(3),
    "replyAuthorName" TEXT,
    "replyAuthorEmail" TEXT,

    CONSTRAINT "InsightTurn_pkey" PRIMARY KEY ("messageId")
);

CREATE INDEX "InsightTurn_askedAt_idx" ON "InsightTurn"("askedAt");
