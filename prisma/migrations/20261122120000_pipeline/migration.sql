-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "classificationId" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "FollowUp_classificationId_key" ON "FollowUp"("classificationId");

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_classificationId_fkey" FOREIGN KEY ("classificationId") REFERENCES "Classification"("id") ON DELETE SET NULL ON UPDATE CASCADE;
