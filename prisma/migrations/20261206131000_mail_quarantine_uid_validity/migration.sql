-- The folder's UIDVALIDITY when the sync quarantined a mail: a mail kept without its source (the server sent
-- nothing for it) that a later pass logs after all resolves its row, and a UID names that mail only within
-- one UIDVALIDITY. Rows kept before this column have none and are never resolved that way.
ALTER TABLE "MailQuarantine" ADD COLUMN "uidValidity" BIGINT;
