-- Which process is handling a folder's mail after its cursor. Strike counts lived in the process: a mail
-- that took the process down (a crash, an OOM kill) was tried again by every start, for good, and took the
-- bot down each time. A process that finds another's claim at the cursor it starts from counts a death.
CREATE TABLE "MailboxInFlight" (
    "mailbox" TEXT NOT NULL,
    "folder" TEXT NOT NULL,
    "run" TEXT,
    "fromUid" INTEGER NOT NULL,
    "deaths" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MailboxInFlight_pkey" PRIMARY KEY ("mailbox","folder")
);
