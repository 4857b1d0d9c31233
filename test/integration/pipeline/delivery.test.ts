import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Job } from 'bullmq';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { deliverMessage } from '../../../jobs/deliver-message.job.ts';
import { TargetRateLimiter } from '../../../jobs/target-rate-limiter.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

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
    return createFollowUp(
      h.test.db,
      {
        companyId: company.id,
        title: 'Send the contract',
        dueAt: new Date(Date.now() + 3_600_000),
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: 'console:team',
      },
      h.hooks,
    );
  }

  function jobFor(data: DeliverMessageData): Job<DeliverMessageData> {
    return new Job(h.queues[QueueName.DeliverMessage], 'reminder', data, { jobId: data.key });
  }

  it('after a crash between posting and recording, finds the posted message instead of posting twice', async () => {
    const f = await openFollowUp();
    const data: DeliverMessageData = {
      key: `reminder-${f.id}-1`,
      kind: 'reminder',
      target: 'console:team',
      followUpId: f.id,
    };
    // What a worker killed right after posting leaves behind: the message exists, the row says "posting".
    const { externalId } = await h.console.post(
      'console:team',
      { text: 'Reminder: Send the contract' },
      { idempotencyKey: data.key },
    );
    await h.test.db.prisma.delivery.create({
      data: { key: data.key, target: data.target, status: 'posting', attempts: 1 },
    });

    const outcome = await deliverMessage(jobFor(data), undefined, h.deps);
    expect(outcome).toEqual({ status: 'sent', externalId });
    // The feed's mirror follows Redis pub/sub, a moment after the post returned.
    await eventually('the post in the console feed', async () => h.console.feed().length === 1);
    expect(h.console.feed().length).toBe(1);
    expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).messageRef).toBe(
      `console:team|${externalId}`,
    );
    // What the crashed attempt posted was rendered from the data of its own moment: it is refreshed.
    const queued = await h.queues[QueueName.DeliverMessage].getJobs(['waiting', 'delayed', 'prioritized']);
    expect(queued.map((j) => j.data)).toContainEqual(
      expect.objectContaining({ kind: 'refresh', followUpId: f.id, target: 'console:team', externalId }),
    );

    // And a rerun of a sent key does nothing at all.
    expect(await deliverMessage(jobFor(data), undefined, h.deps)).toEqual({ status: 'already-sent', externalId });
    expect(h.console.feed().length).toBe(1);
  });

  it('skips a reminder whose follow-up was done or moved since its due time; records one an earlier attempt posted', async () => {
    const f = await openFollowUp();
    const due = f.dueAt.getTime();
    const data: DeliverMessageData = {
      key: `reminder-${f.id}-${due}`,
      kind: 'reminder',
      target: 'console:team',
      followUpId: f.id,
    };
    // Snoozed since (due later now): its retry posts nothing.
    await h.test.db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(due + 86_400_000) } });
    expect(await deliverMessage(jobFor(data), undefined, h.deps)).toEqual({ status: 'nothing-to-send' });
    const row = await h.test.db.prisma.delivery.findUniqueOrThrow({ where: { key: data.key } });
    expect(row).toMatchObject({
      status: 'skipped',
      lastError: expect.stringMatching(/^Not posted: the follow-up is due/),
    });
    // Done since, and its private copy too.
    await h.test.db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: f.dueAt, status: 'done' } });
    const direct = { ...data, key: `reminder-direct-${f.id}-${due}-console.jo`, direct: true };
    expect(await deliverMessage(jobFor(direct), undefined, h.deps)).toEqual({ status: 'nothing-to-send' });
    expect(h.console.feed().length).toBe(0);

    // An earlier attempt posted it (the row was left `posting`): found, recorded, and refreshed to show it done.
    const escalation: DeliverMessageData = { ...data, key: `escalation-${f.id}-${due}`, kind: 'escalation' };
    const { externalId } = await h.console.post(
      'console:team',
      { text: 'Overdue: Send the contract' },
      { idempotencyKey: escalation.key },
    );
    await h.test.db.prisma.delivery.create({
      data: { key: escalation.key, target: escalation.target, status: 'posting', attempts: 1 },
    });
    expect(await deliverMessage(jobFor(escalation), undefined, h.deps)).toEqual({ status: 'sent', externalId });
    expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).messageRef).toBe(
      `console:team|${externalId}`,
    );
    const queued = await h.queues[QueueName.DeliverMessage].getJobs(['waiting', 'delayed', 'prioritized']);
    expect(queued.map((j) => j.data)).toContainEqual(
      expect.objectContaining({ kind: 'refresh', followUpId: f.id, externalId }),
    );
  });

  it('posts nothing for a follow-up that was erased meanwhile', async () => {
    const f = await openFollowUp();
    await h.test.db.prisma.followUp.delete({ where: { id: f.id } });
    const data: DeliverMessageData = {
      key: `reminder-${f.id}-2`,
      kind: 'reminder',
      target: 'console:team',
      followUpId: f.id,
    };
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

  it('allows one Slack message per second per channel, independently per channel, and gives each waiting post a slot of its own', async () => {
    const limiter = new TargetRateLimiter(h.redis, h.prefix);
    const t = 1_000_000;
    expect(await limiter.acquire('slack:T1/C1', 'a', t)).toBe(0);
    expect(await limiter.acquire('slack:T1/C2', 'x', t)).toBe(0);
    // 1 s window + 150 ms safety margin: b's slot is t + 1150, c's the one after.
    expect(await limiter.acquire('slack:T1/C1', 'b', t + 200)).toBe(950);
    expect(await limiter.acquire('slack:T1/C1', 'c', t + 300)).toBe(2_000);
    // Asking again before its slot changes nothing; at its slot (or a little late) it goes.
    expect(await limiter.acquire('slack:T1/C1', 'b', t + 1_000)).toBe(150);
    expect(await limiter.acquire('slack:T1/C1', 'b', t + 1_150)).toBe(0);
    expect(await limiter.acquire('slack:T1/C1', 'c', t + 2_300 + 100)).toBe(0);
    // A newcomer queues behind the reserved slots instead of taking one of them.
    expect(await limiter.acquire('slack:T1/C1', 'd', t + 2_500)).toBe(3_450 - 2_500);
    // The console has no limit.
    expect(await limiter.acquire('console:team', 'e', t)).toBe(0);
    expect(await limiter.acquire('console:team', 'f', t)).toBe(0);
  });

  it('gives a post that comes back too late for its slot a new one, and a retry of a sent post a new one too', async () => {
    const limiter = new TargetRateLimiter(h.redis, h.prefix);
    const t = 5_000_000;
    expect(await limiter.acquire('slack:T1/C3', 'a', t)).toBe(0);
    expect(await limiter.acquire('slack:T1/C3', 'b', t)).toBe(1_150);
    expect(await limiter.acquire('slack:T1/C3', 'c', t)).toBe(2_300);
    // b sleeps past its slot by more than the margin: posting now would land too close to c's slot.
    expect(await limiter.acquire('slack:T1/C3', 'b', t + 1_150 + 400)).toBe(3_450 - 1_550);
    expect(await limiter.acquire('slack:T1/C3', 'c', t + 2_300)).toBe(0);
    // c's post failed (the platform said 429 for its own reasons): its retry needs a new slot.
    expect(await limiter.acquire('slack:T1/C3', 'c', t + 2_400)).toBe(4_600 - 2_400);
  });

  it('allows Teams 7 per second and 60 per 30 seconds per conversation: a burst of 70 gets slots that keep both', async () => {
    const limiter = new TargetRateLimiter(h.redis, h.prefix);
    const t = 2_000_000;
    const slots: number[] = [];
    for (let i = 0; i < 70; i++) slots.push(t + (await limiter.acquire('teams:19:abc', `post-${i}`, t)));
    expect(slots.slice(0, 7)).toEqual(Array(7).fill(t));
    expect(slots[7]).toBe(t + 1_150); // the 8th when the first leaves the 1 s window (+ margin)
    expect(slots[60]).toBe(t + 30_150); // the 61st when the first leaves the 30 s window (+ margin)
    for (let i = 7; i < slots.length; i++) expect(slots[i] - slots[i - 7]).toBeGreaterThanOrEqual(1_150);
    for (let i = 60; i < slots.length; i++) expect(slots[i] - slots[i - 60]).toBeGreaterThanOrEqual(30_150);
    // Each of those that waited comes back at its slot and goes.
    for (let i = 7; i < 70; i++) expect(await limiter.acquire('teams:19:abc', `post-${i}`, slots[i])).toBe(0);
  });
});
