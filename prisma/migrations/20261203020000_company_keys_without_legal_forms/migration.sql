-- Match keys of companies created before Chinese legal forms (有限公司, 集团, …) and spelled-out German
-- ones (Aktiengesellschaft, KGaA) were dropped (issue 18) still hold them: "华为技术有限公司" kept the key
-- 华为技术有限公司, so `log 华为技术 … --new` made a second customer. The keys are computed in JavaScript
-- (normalizeCompanyName), so the recomputation runs in src/db/company-key-backfill.ts, which the
-- migration runner (src/db/migrate.ts) calls right after this file, in the same transaction: applied
-- once, recorded here. Companies whose new keys collide are merged into the oldest with this function,
-- the merge of the unique_customers migration (records, contacts, follow-ups, channel links and a team
-- channel move; domains are united; an audit entry names what was merged), which the backfill drops
-- when it is done. The domain trigger now exists, so the merged company's domains are released first.
CREATE FUNCTION rapport_merge_company(keep UUID, gone UUID, reason TEXT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE gone_domains TEXT[];
BEGIN
  UPDATE "CommunicationRecord" SET "companyId" = keep WHERE "companyId" = gone;
  UPDATE "Contact" SET "companyId" = keep WHERE "companyId" = gone;
  UPDATE "FollowUp" SET "companyId" = keep WHERE "companyId" = gone;
  UPDATE "ChannelLink" SET "companyId" = keep WHERE "companyId" = gone;
  -- One team channel per customer: the kept company's own wins, the other's goes with its company.
  UPDATE "TeamChannel" SET "companyId" = keep
    WHERE "companyId" = gone AND NOT EXISTS (SELECT 1 FROM "TeamChannel" t WHERE t."companyId" = keep);
  SELECT domains INTO gone_domains FROM "Company" WHERE id = gone;
  UPDATE "Company" SET domains = '{}' WHERE id = gone;
  UPDATE "Company" SET domains = ARRAY(SELECT DISTINCT d FROM unnest(domains || gone_domains) d ORDER BY d),
      "updatedAt" = CURRENT_TIMESTAMP
    WHERE id = keep;
  INSERT INTO "AuditLog" (id, action, subject, details)
    VALUES (gen_random_uuid(), 'customer.merge', keep::text, jsonb_build_object('merged', gone::text, 'reason', reason));
  DELETE FROM "Company" WHERE id = gone;
END $$;
