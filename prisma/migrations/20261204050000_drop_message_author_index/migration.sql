-- The subject fallback read a sender's messages by ("authorEmail", "sentAt"); it now reads the threads with
-- the email's subject key (CommunicationRecord "subjectKey", "lastMessageAt") and their messages by
-- ("recordId", "sentAt"). Nothing else reads by author address (erasure compares lower("authorEmail"),
-- which this index never served), so the index only cost every message insert a btree entry.
DROP INDEX IF EXISTS "Message_authorEmail_sentAt_idx";
