-- The newest fencing token PostgreSQL has seen per mailbox (Kleppmann's fencing tokens). A process frozen
-- (SIGSTOP, a long GC pause, a VM pause) past its Redis lock's TTL kept writing after another process took
-- the mailbox over: it took the new holder's in-flight claim (a death that never happened) and committed
-- batches and cursors. Every acquisition of the lock now carries a token that only grows; the holder
-- stores it here first, and the claim and every cursor save refuse a token older than this one.
CREATE TABLE "MailboxFence" (
    "mailbox" TEXT NOT NULL,
    "fence" BIGINT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MailboxFence_pkey" PRIMARY KEY ("mailbox")
);
