-- Why the message in "messageRef" was posted (suggestion, reminder or escalation), so a card refreshed
-- in place after a change keeps its heading. Rows posted before this migration have none and are
-- refreshed under the neutral "Follow-up for <customer>" heading, as before.

-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN "messagePurpose" TEXT;
