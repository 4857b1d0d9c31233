-- Mail that could not be stored is kept here, raw, until `rapport mail retry` logs it.
CREATE TABLE "MailQuarantine" (
    "id" UUID NOT NULL,
    "sourceHash" TEXT NOT NULL,
    "mailbox" TEXT NOT NULL,
    "folder" TEXT,
    "uid" INTEGER,
    "raw" BYTEA NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "resolvedAt" TIMESTAMPTZ(3),

    CONSTRAINT "MailQuarantine_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "MailQuarantine_sourceHash_key" ON "MailQuarantine"("sourceHash");

CREATE INDEX "MailQuarantine_resolvedAt_idx" ON "MailQuarantine"("resolvedAt");
