-- IMAP UIDs are 32-bit unsigned (RFC 3501 nz-number, up to 4294967295); INTEGER stops at 2147483647, so a
-- folder whose UIDs passed it could not save its cursor and its sync was stuck for good.
ALTER TABLE "MailboxCursor" ALTER COLUMN "lastUid" SET DATA TYPE BIGINT;

ALTER TABLE "MailboxInFlight" ALTER COLUMN "handlingUid" SET DATA TYPE BIGINT;

ALTER TABLE "MailQuarantine" ALTER COLUMN "uid" SET DATA TYPE BIGINT;
