-- The stale-day marks (20261208034500_insight_stale_days) were written whether or not any rollups
-- existed. Without rollups (insights off, or before the first rebuild commits) nothing reads or deletes
-- them, so every old message imported or corrected added rows for good. Now nothing is marked while the
-- coverage row 'rollups:until' in InsightSnapshot is absent; a change made during the first rebuild is
-- folded in by the next one. (Skipping a pair marked already is not done: it would lose a change made
-- while a rebuild deletes that mark and reads the messages before the change commits.)

CREATE OR REPLACE FUNCTION rapport_messages_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stale_before timestamptz := rapport_insight_stale_before();
BEGIN
  -- No rollups yet (insights off, or before their first rebuild): nothing to mark stale.
  IF NOT EXISTS (SELECT 1 FROM "InsightSnapshot" WHERE key = 'rollups:until') THEN
    RETURN NULL;
  END IF;
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

CREATE OR REPLACE FUNCTION rapport_classifications_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stale_before timestamptz := rapport_insight_stale_before();
BEGIN
  -- No rollups yet (insights off, or before their first rebuild): nothing to mark stale.
  IF NOT EXISTS (SELECT 1 FROM "InsightSnapshot" WHERE key = 'rollups:until') THEN
    RETURN NULL;
  END IF;
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
