-- The refresh token an OAuth2 endpoint last issued for a mailbox. Endpoints rotate refresh tokens on use
-- (Microsoft's expire 90 days after they were issued): kept only in memory, a restart sent the configured
-- one again, spent or expired by then, and the mailbox stopped with invalid_grant.
CREATE TABLE "MailboxRefreshToken" (
    "mailbox" TEXT NOT NULL,
    "configured" TEXT NOT NULL,
    "refreshToken" TEXT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MailboxRefreshToken_pkey" PRIMARY KEY ("mailbox")
);
