-- One customer per normalised name and per domain. Without a unique key two concurrent `log "<new
-- name>" ... --new` both created the company; the name was then ambiguous and every later `--new`
-- created another (8,443 companies from 50 names in 10 minutes). Existing duplicates are merged into
-- the oldest company of each name (then of each domain): records, contacts, follow-ups and channel
-- links (and a team channel, when the kept one has none) move to it, domains are united, and an audit entry names what was merged (ids only).
CREATE FUNCTION rapport_merge_company(keep UUID, gone UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "CommunicationRecord" SET "companyId" = keep WHERE "companyId" = gone;
  UPDATE "Contact" SET "companyId" = keep WHERE "companyId" = gone;
  UPDATE "FollowUp" SET "companyId" = keep WHERE "companyId" = gone;
  UPDATE "ChannelLink" SET "companyId" = keep WHERE "companyId" = gone;
  -- One team channel per customer: the kept company's own wins, the other's goes with its company.
  UPDATE "TeamChannel" SET "companyId" = keep
    WHERE "companyId" = gone AND NOT EXISTS (SELECT 1 FROM "TeamChannel" t WHERE t."companyId" = keep);
  UPDATE "Company" k SET domains = ARRAY(SELECT DISTINCT d FROM unnest(k.domains || g.domains) d ORDER BY d),
      "updatedAt" = CURRENT_TIMESTAMP
    FROM "Company" g WHERE k.id = keep AND g.id = gone;
  INSERT INTO "AuditLog" (id, action, subject, details)
    VALUES (gen_random_uuid(), 'customer.merge', keep::text,
            jsonb_build_object('merged', gone::text, 'reason', 'duplicate customer (migration unique_customers)'));
  DELETE FROM "Company" WHERE id = gone;
END $$;

DO $$
DECLARE r RECORD;
BEGIN
  FOR r IN
    SELECT c.id AS gone, first_value(c.id) OVER w AS keep
      FROM "Company" c
      WINDOW w AS (PARTITION BY c."normalizedName" ORDER BY c."createdAt", c.id)
  LOOP
    IF r.gone <> r.keep THEN PERFORM rapport_merge_company(r.keep, r.gone); END IF;
  END LOOP;
  -- Domains: merge one pair at a time (a merge changes the domains of the company kept).
  LOOP
    SELECT k.id AS keep, g.id AS gone INTO r
      FROM "Company" k JOIN "Company" g ON k.domains && g.domains AND k.id <> g.id
        AND (k."createdAt", k.id) < (g."createdAt", g.id)
      LIMIT 1;
    EXIT WHEN NOT FOUND;
    PERFORM rapport_merge_company(r.keep, r.gone);
  END LOOP;
END $$;

DROP FUNCTION rapport_merge_company(UUID, UUID);

DROP INDEX "Company_normalizedName_idx";
CREATE UNIQUE INDEX "Company_normalizedName_key" ON "Company"("normalizedName");

-- A domain belongs to one company. An array column cannot carry a unique index, so a trigger checks it,
-- serialised per domain by an advisory lock held to the end of the transaction: of two mailboxes racing
-- on a new domain, the second waits, then sees the first one's company and fails as a unique violation.
CREATE FUNCTION rapport_company_domain_unique() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d TEXT;
BEGIN
  FOREACH d IN ARRAY NEW.domains LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended('rapport.company.domain:' || d, 0));
    IF EXISTS (SELECT 1 FROM "Company" c WHERE c.domains @> ARRAY[d] AND c.id <> NEW.id) THEN
      RAISE EXCEPTION 'the domain % belongs to another customer', d
        USING ERRCODE = 'unique_violation', CONSTRAINT = 'Company_domains_key';
    END IF;
  END LOOP;
  RETURN NEW;
END $$;
CREATE TRIGGER "Company_domains_unique" BEFORE INSERT OR UPDATE OF domains ON "Company"
  FOR EACH ROW EXECUTE FUNCTION rapport_company_domain_unique();
