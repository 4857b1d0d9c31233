import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { logCommunication } from '../../../src/services/log-communication.service.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import { recordCardRetractionsIn } from '../../../jobs/card-changes.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { MAX_REDRIVES } from '../../../jobs/redrive-deliveries.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

describe('the reconciler drives lost work again', () => {
  let h: PipelineHarness;
  beforeEach(async () => {
    h = await startPipelineHarness('postgres');
  });
  afterEach(async () => {
    await h.dispose();
  });

  async function setup() {
    const actor = { platform: 'console' as const, platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(h.test.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const company = await createCustomer(h.test.db.prisma, 'Soylent', audit);
    return { rep, audit, company };
  }

  it('re-queues an unclassified message although its completed job (same id) is still kept', async () => {
    const { rep, audit, company } = await setup();
    const logged = await logCommunication(
      h.test.db,
      {
        companyId: company.id,
        text: 'We want to cancel our subscription at the end of the month',
        occurredAt: new Date(),
        sourceKey: 'kept-1',
        repId: rep.id,
        repName: rep.name,
        actor: audit,
      },
      h.hooks,
    );
    const where = { messageId: logged.message.id };
    await eventually(
      'the first classification',
      async () => h.test.db.prisma.classification.findFirst({ where }),
      60_000,
    );
    await eventually(
      'the first job kept as completed',
      async () =>
        (await h.queues[QueueName.ClassifyCommunication].getJobState(`classify-${logged.message.id}`)) === 'completed',
    );
    // The classification is lost (a restore, a rolled-back write); its job is kept as completed for an hour.
    await h.test.db.prisma.followUp.deleteMany({});
    await h.test.db.prisma.classification.deleteMany({});
    await h.test.db.prisma.message.update({
      where: { id: logged.message.id },
      data: { createdAt: new Date(Date.now() - 120_000) },
    });
    expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(1);
    await eventually(
      'the classification again',
      async () => h.test.db.prisma.classification.findFirst({ where }),
      60_000,
    );
  });

  it('drives a delivery that used up its attempts again, with backoff between drives and a cap', async () => {
    const { rep, audit, company } = await setup();
    const f = await createFollowUp(
      h.test.db,
      {
        companyId: company.id,
        title: 'Call back about the outage',
        dueAt: new Date(Date.now() + 3_600_000),
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: 'console:team',
      },
      h.hooks,
    );
    // The reminder of its due time (a reminder for another due time is not posted: see stale-reminder.test.ts).
    const key = `reminder-${f.id}-${f.dueAt.getTime()}`;
    const payload = { key, kind: 'reminder', target: 'console:team', followUpId: f.id };
    // Failed for good during a platform outage, ten minutes ago; no job of it is left to retry.
    await h.test.db.sql.query(
      `INSERT INTO "Delivery" (id, key, target, status, attempts, payload, "createdAt", "updatedAt")
       VALUES (gen_random_uuid(), $1, 'console:team', 'failed', 6, $2::jsonb, now() - interval '10 minutes', now() - interval '10 minutes')`,
      [key, JSON.stringify(payload)],
    );
    const report = await reconcileSchedules(h.deps);
    expect(report.deliveriesRequeued).toBe(1);
    await eventually(
      'the reminder posted',
      async () => (await h.test.db.prisma.delivery.findUnique({ where: { key } }))?.status === 'sent',
    );
    const posts = () => h.console.feed().filter((e) => JSON.stringify(e.reply).includes('Call back about the outage'));
    await eventually('the reminder in the channel', async () => posts().length > 0);
    expect(posts().length).toBe(1);

    // Backoff: a delivery driven a moment ago waits; past the cap it is left for an administrator.
    await h.test.db.sql.query(
      `UPDATE "Delivery" SET status = 'failed', "updatedAt" = now() - interval '10 minutes', "nextRedriveAt" = now() + interval '1 minute' WHERE key = $1`,
      [key],
    );
    expect((await reconcileSchedules(h.deps)).deliveriesRequeued).toBe(0);
    await h.test.db.sql.query(`UPDATE "Delivery" SET "nextRedriveAt" = NULL, redrives = $2 WHERE key = $1`, [
      key,
      MAX_REDRIVES,
    ]);
    expect((await reconcileSchedules(h.deps)).deliveriesRequeued).toBe(0);
    const row = await h.test.db.prisma.delivery.findUniqueOrThrow({ where: { key } });
    expect(row.redrives).toBe(MAX_REDRIVES);
  });

  it("takes back an erased customer's card whose retraction committed with the erasure but was never queued (the process died), at a periodic run", async () => {
    const { audit, company } = await setup();
    const posted = await h.console.post('console:team', {
      text: 'Soylent: our order of green wafers is late, we are unhappy',
      visibility: 'channel',
    });
    const card = { target: 'console:team', externalId: posted.externalId };
    // The erasure commits with its retraction written down; the process dies before queuing it (nothing
    // in Redis). Redis lost nothing, so only the periodic run, once the row has been quiet a minute, sees it.
    await eraseCustomer(h.test.db, company.id, audit, {
      beforeCommit: (tx) => recordCardRetractionsIn(tx, [card], 'erased'),
    });
    const shown = () => JSON.stringify(h.console.feed().find((e) => e.externalId === posted.externalId)?.reply);
    expect(shown()).toMatch(/green wafers/);
    expect((await reconcileSchedules(h.deps)).deliveriesRequeued).toBe(0); // written a moment ago: it may be on its way
    await h.test.db.sql.query(
      `UPDATE "Delivery" SET "createdAt" = now() - interval '2 minutes', "updatedAt" = now() - interval '2 minutes' WHERE target = 'console:team' AND payload->>'kind' = 'retract'`,
    );
    expect((await reconcileSchedules(h.deps)).deliveriesRequeued).toBe(1);
    await eventually('the card replaced by the erased line', async () => (/Erased/.test(shown()) ? true : undefined));
    expect(shown()).not.toMatch(/green wafers|Soylent/);
  });
});
