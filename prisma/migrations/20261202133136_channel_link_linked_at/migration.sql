-- Which linked channel gets a customer's cards was "the row updated last", and every stored Teams
-- conversation reference (any message, a restart) updates the row: cards wandered back into a
-- channel linked long ago. linkedAt moves only when the channel is linked to its customer.
ALTER TABLE "ChannelLink" ADD COLUMN "linkedAt" TIMESTAMPTZ(3);
UPDATE "ChannelLink" SET "linkedAt" = "createdAt" WHERE "companyId" IS NOT NULL;
