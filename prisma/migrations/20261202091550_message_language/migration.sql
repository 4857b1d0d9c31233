-- The language a message was read in (ISO 639-1, "und" when it could not be told); set when it is classified.
ALTER TABLE "Message" ADD COLUMN "language" TEXT;
