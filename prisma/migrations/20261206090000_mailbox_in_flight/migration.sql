-- Which process is handling a folder's mail after its cursor. Strike counts lived in the process: a mail
-- that took the process down (a crash, an OOM kill) was tried again by every start, for good, and took the
-- bot down each time. A start that finds another run's claim handles the next mails one at a time, noting
-- each in "handlingUid"; a run that stops while handling one counts a death against that mail.
CREATE TABLE "MailboxInFlight" (
    "mailbox" TEXT NOT NULL,
    "folder" TEXT NOT NULL,
    "run" TEXT,
    "handlingUid" INTEGER,
    "uidValidity" BIGINT,
    "deaths" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MailboxInFlight_pkey" PRIMARY KEY ("mailbox","folder")
);
