-- CreateIndex
-- The reconciler looks for unclassified messages created in a recent window; rows arrive in createdAt
-- order, so a BRIN index (a few pages, next to nothing per insert) lets it skip the older table.
-- autosummarize: autovacuum summarises each filled block range, so new rows do not stay unindexed.
CREATE INDEX "Message_createdAt_idx" ON "Message" USING BRIN ("createdAt") WITH (autosummarize = on);
