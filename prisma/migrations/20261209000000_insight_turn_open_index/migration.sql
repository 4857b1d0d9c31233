-- Insights read the stored turns still unanswered (the health score's overdue turns, the turns carried
-- from before a period, the replies that came after the rollups' coverage): 1,722 of the 60,280 turns of
-- a 45-day period at a million messages (bench:insights), which the askedAt index alone made a heap scan
-- of all 60,280. A partial index holds just the open ones; one on repliedAt finds the turns answered
-- only after a past period's end (read as unanswered in that period).
CREATE INDEX "InsightTurn_askedAt_open_idx" ON "InsightTurn"("askedAt") WHERE "replyId" IS NULL;
CREATE INDEX "InsightTurn_repliedAt_idx" ON "InsightTurn"("repliedAt");
