-- Insights read a period's messages by when they were sent.
CREATE INDEX "Message_sentAt_idx" ON "Message"("sentAt");
