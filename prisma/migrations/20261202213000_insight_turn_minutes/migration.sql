-- AlterTable
ALTER TABLE "InsightTurn" ADD COLUMN     "replyMinutes" DOUBLE PRECISION;
