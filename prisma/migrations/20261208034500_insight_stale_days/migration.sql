-- AlterTable
ALTER TABLE "Message" ADD COLUMN "authorErased" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "InsightStaleDay" (
    "id" BIGSERIAL NOT NULL,
    "day" DATE NOT NULL,
    "recordId" UUID NOT NULL,

    CONSTRAINT "InsightStaleDay_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "InsightStaleDay_day_recordId_idx" ON "InsightStaleDay"("day", "recordId");

-- Every change of a message or classification that a daily rollup (InsightDaily, InsightRecordDaily) may
-- hold marks its UTC day and conversation stale in the change's own transaction, whoever writes it (a
-- correction, an edit and its reclassification, a platform delete, an erasure, retention, a late
-- classification or an old mail imported): readers read those days live until the next rebuild
-- (insights.repository.ts, inboundRows). A trigger, not each writer: one forgotten writer is a figure
-- that stays wrong until the next rebuild, or for good when the refresh job is not running.
--
-- The days marked are those before the UTC midnight an hour from now: a rebuild covers the days before
-- the midnight before it started, so a later message is never in one. The hour is for a change whose
-- statement ran just before midnight and committed after a rebuild started just after it took its
-- snapshot (and for clocks a little apart). Rows are only ever inserted (no key to conflict on): a
-- change never waits for a rebuild deleting the marks it read.
CREATE FUNCTION rapport_insight_stale_before() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
  SELECT date_trunc('day', clock_timestamp() + interval '1 hour', 'UTC')
$$;

-- Messages: inserted, deleted, or moved (direction, sent time, conversation, author erased).
CREATE FUNCTION rapport_messages_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stale_before timestamptz := rapport_insight_stale_before();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "InsightStaleDay" (day, "recordId")
      SELECT DISTINCT (n."sentAt" AT TIME ZONE 'UTC')::date, n."recordId" FROM new_rows n WHERE n."sentAt" < stale_before;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "InsightStaleDay" (day, "recordId")
      SELECT DISTINCT (o."sentAt" AT TIME ZONE 'UTC')::date, o."recordId" FROM old_rows o WHERE o."sentAt" < stale_before;
  ELSE
    INSERT INTO "InsightStaleDay" (day, "recordId")
      SELECT DISTINCT (x."sentAt" AT TIME ZONE 'UTC')::date, x."recordId"
        FROM old_rows o JOIN new_rows n ON n.id = o.id
       CROSS JOIN LATERAL (VALUES (o."sentAt", o."recordId"), (n."sentAt", n."recordId")) AS x("sentAt", "recordId")
       WHERE (o.direction, o."sentAt", o."recordId", o."authorErased")
             IS DISTINCT FROM (n.direction, n."sentAt", n."recordId", n."authorErased")
         AND x."sentAt" < stale_before;
  END IF;
  RETURN NULL;
END $$;

-- Classifications of a message: inserted, deleted, or changed (label, correction, sentiment, message).
CREATE FUNCTION rapport_classifications_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stale_before timestamptz := rapport_insight_stale_before();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "InsightStaleDay" (day, "recordId")
      SELECT DISTINCT (m."sentAt" AT TIME ZONE 'UTC')::date, m."recordId"
        FROM new_rows c JOIN "Message" m ON m.id = c."messageId" AND m."recordId" = c."recordId"
       WHERE m."sentAt" < stale_before;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "InsightStaleDay" (day, "recordId")
      SELECT DISTINCT (m."sentAt" AT TIME ZONE 'UTC')::date, m."recordId"
        FROM old_rows c JOIN "Message" m ON m.id = c."messageId" AND m."recordId" = c."recordId"
       WHERE m."sentAt" < stale_before;
  ELSE
    INSERT INTO "InsightStaleDay" (day, "recordId")
      SELECT DISTINCT (m."sentAt" AT TIME ZONE 'UTC')::date, m."recordId"
        FROM old_rows o JOIN new_rows n ON n.id = o.id
       CROSS JOIN LATERAL (VALUES (o."messageId", o."recordId"), (n."messageId", n."recordId")) AS x("messageId", "recordId")
        JOIN "Message" m ON m.id = x."messageId" AND m."recordId" = x."recordId"
       WHERE (o.label, o."correctedLabel", o.sentiment, o."messageId", o."recordId")
             IS DISTINCT FROM (n.label, n."correctedLabel", n.sentiment, n."messageId", n."recordId")
         AND m."sentAt" < stale_before;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "Message_insight_stale_insert" AFTER INSERT ON "Message"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_messages_stale();
CREATE TRIGGER "Message_insight_stale_update" AFTER UPDATE ON "Message"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_messages_stale();
CREATE TRIGGER "Message_insight_stale_delete" AFTER DELETE ON "Message"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_messages_stale();
CREATE TRIGGER "Classification_insight_stale_insert" AFTER INSERT ON "Classification"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_classifications_stale();
CREATE TRIGGER "Classification_insight_stale_update" AFTER UPDATE ON "Classification"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_classifications_stale();
CREATE TRIGGER "Classification_insight_stale_delete" AFTER DELETE ON "Classification"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rapport_classifications_stale();
