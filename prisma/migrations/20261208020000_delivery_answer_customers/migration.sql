-- A command's answer posted in a channel (a lookup in a mention's thread, notify's confirmation, every
-- Teams answer in a channel or group chat) names customers and quotes their data. It was recorded as a
-- sent Delivery only so that a channel becoming shared takes it back; erasing a customer took back its
-- follow-up cards and left those answers readable. The answer now keeps the customers it names, and an
-- erasure takes back every answer naming the erased one. Answers recorded before this release name
-- nobody here (null): they are taken back only when their channel becomes shared.
ALTER TABLE "Delivery" ADD COLUMN "aboutCompanyIds" UUID[];

CREATE INDEX "Delivery_aboutCompanyIds_idx" ON "Delivery" USING GIN ("aboutCompanyIds");
