-- CreateIndex
CREATE INDEX "Message_authorEmail_sentAt_idx" ON "Message"("authorEmail", "sentAt");
