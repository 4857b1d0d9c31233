-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "requestKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "FollowUp_requestKey_key" ON "FollowUp"("requestKey");
