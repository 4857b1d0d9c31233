import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Job } from 'bullmq';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { deliverMessage } from '../../../jobs/deliver-message.job.ts';
import { TargetRateLimiter } from '../../../jobs/target-rate-limiter.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import { startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

describe('deliver-message', () => {
  let h: PipelineHarness;
  beforeEach(async () => {
    h = await startPipelineHarness('postgres', { workers: false });
  });
  afterEach(async () => {
    await h.dispose();
  });

  async function openFollowUp() {
    const actor = { platform: 'console' as const, platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(h.test.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const company = await createCustomer(h.test.db.prisma, 'Hooli', audit);
    return createFollowUp(h.test.db, { companyId: company.id, title: 'Send the contract', dueAt: new Date(Date.now() + 3_600_000), assigneeRepId: rep.id, actor: audit, fallbackRemindTarget: 'console:team' }, h.hooks);
  }

  function jobFor(data: DeliverMessageData): Job<DeliverMessageData> {
    return new Job(h.queues[QueueName.DeliverMessage], 'reminder', data, { jobId: data.key });
  }

  it('after a crash between posting and recording, finds the posted message instead of posting twice', async () => {
    const f = await openFollowUp();
    const data: DeliverMessageData = { key: `reminder-${f.id}-1`, kind: 'reminder', target: 'console:team', followUpId: f.id };
    // What a worker killed right after posting leaves behind: the message exists, the row says "posting".
    const { externalId } = await h.console.post('console:team', { text: 'Reminder: Send the contract' }, { idempotencyKey: data.key });
    await h.test.db.prisma.delivery.create({ data: { key: data.key, target: data.target, status: 'posting', attempts: 1 } });

    const outcome = await deliverMessage(jobFor(data), undefined, h.deps);
    expect(outcome).toEqual({ status: 'sent', externalId });
    expect(h.console.feed().length).toBe(1);
    expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).messageRef).toBe(`console:team|${externalId}`);

    // And a rerun of a sent key does nothing at all.
    expect(await deliverMessage(jobFor(data), undefined, h.deps)).toEqual({ status: 'already-sent', externalId });
    expect(h.console.feed().length).toBe(1);
  });

  it('posts nothing for a follow-up that was erased meanwhile', async () => {
    const f = await openFollowUp();
    await h.test.db.prisma.followUp.delete({ where: { id: f.id } });
    const data: DeliverMessageData = { key: `reminder-${f.id}-2`, kind: 'reminder', target: 'console:team', followUpId: f.id };
    expect(await deliverMessage(jobFor(data), undefined, h.deps)).toEqual({ status: 'nothing-to-send' });
    expect(h.console.feed().length).toBe(0);
  });
});

describe('per-target rate limits (shared through Redis)', () => {
  let h: PipelineHarness;
  beforeEach(async () => {
    h = await startPipelineHarness('pglite', { workers: false });
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('allows one Slack message per second per channel, independently per channel', async () => {
    const limiter = new TargetRateLimiter(h.redis, h.prefix);
    const t = 1_000_000;
    expect(await limiter.acquire('slack:T1/C1', t)).toBe(0);
    expect(await limiter.acquire('slack:T1/C2', t)).toBe(0);
    const wait = await limiter.acquire('slack:T1/C1', t + 200);
    expect(wait).toBe(950); // 1 s window + 150 ms safety margin
    expect(await limiter.acquire('slack:T1/C1', t + 1_100)).toBeGreaterThan(0);
    expect(await limiter.acquire('slack:T1/C1', t + 1_151)).toBe(0);
    expect(await limiter.acquire('console:team', t)).toBe(0);
    expect(await limiter.acquire('console:team', t)).toBe(0);
  });

  it('allows Teams 7 per second and 60 per 30 seconds per conversation', async () => {
    const limiter = new TargetRateLimiter(h.redis, h.prefix);
    const t = 2_000_000;
    for (let i = 0; i < 7; i++) expect(await limiter.acquire('teams:19:abc', t + i)).toBe(0);
    expect(await limiter.acquire('teams:19:abc', t + 10)).toBeGreaterThan(0);
    let sent = 7;
    // Bursts of 7 every 1.2 s (the per-second window plus margin) for 28.8 s: only the 30 s cap stops them.
    for (let s = 1; s <= 24; s++) for (let i = 0; i < 7; i++) if ((await limiter.acquire('teams:19:abc', t + s * 1_200 + i)) === 0) sent++;
    expect(sent).toBe(60);
    expect(await limiter.acquire('teams:19:abc', t + 29_900)).toBeGreaterThan(0); // still 60 in the last 30.15 s
    expect(await limiter.acquire('teams:19:abc', t + 31_000)).toBe(0); // the first burst has left the window
  });
});
