-- The subject fallback read every message of an email's participants within 14 days (up to 50 nearest)
-- and compared subjects in the app: a busy sender's batch read thousands of rows, almost none of them a
-- match (bench:imap, 3,000 mails: 27,000 rows for 31 matches, a tenth of the sync's CPU). An email
-- record now keeps its subject as the fallback compares it (normalizeEmailSubject: Unicode-aware
-- JavaScript, so the app fills in the existing email records right after this SQL, in the same
-- transaction), and the fallback reads the threads with the email's subject key and dates reaching its
-- window only.
ALTER TABLE "CommunicationRecord" ADD COLUMN "subjectKey" TEXT;

CREATE INDEX "CommunicationRecord_subjectKey_lastMessageAt_idx" ON "CommunicationRecord"("subjectKey", "lastMessageAt");
