-- What the server said of a quarantined mail, for `rapport mail retry` to parse it as the sync did: without
-- them a mail kept with its headers only (over IMAP_MAX_MESSAGE_MB) was logged as an empty mail without the
-- note saying why, and a mail with an insane Date header took the retry's clock instead of INTERNALDATE.
ALTER TABLE "MailQuarantine" ADD COLUMN "serverDate" TIMESTAMPTZ(3),
ADD COLUMN "sizeBytes" INTEGER;
