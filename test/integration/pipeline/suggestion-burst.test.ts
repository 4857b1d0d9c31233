import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import { jobId } from '../../../jobs/job-ids.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

// Issue 15: a classifier batch queues a customer's whole burst at once, and the delivery workers
// (concurrency 8 here, as in production) post its suggestions concurrently. Each card's place in the
// burst must come from the order of the deliveries, not from the cards already posted, or every one
// of them sees fewer than three earlier cards and all go top-level. Real BullMQ workers on Redis,
// real PostgreSQL, the console connector (a platform with threads).
describe('suggestion burst delivered concurrently', () => {
  let h: PipelineHarness;

  beforeAll(async () => {
    h = await startPipelineHarness('postgres');
  }, 120_000);
  afterAll(async () => {
    await h?.dispose();
  });

  const company = (name: string) =>
    h.test.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains: [] } });
  const suggested = (companyId: string, title: string) =>
    h.test.db.prisma.followUp.create({
      data: {
        companyId,
        title,
        dueAt: new Date(Date.now() + 86_400_000),
        status: 'suggested',
        source: 'suggested',
        reason: 'quote request (0.91)',
      },
    });

  it('posts three of one customer’s six concurrent suggestions in the channel and the rest in the first card’s thread', async () => {
    const burst = await company('Burstco Concurrent');
    const other = await company('Quietco Concurrent');
    const followUps = [];
    for (let i = 1; i <= 6; i++) followUps.push(await suggested(burst.id, `Send quote ${i}`));
    const quiet = await suggested(other.id, 'Send the quiet quote');

    // One addBulk, as a classifier batch queues them: the workers take them all at once.
    await h.queues[QueueName.DeliverMessage].addBulk(
      [...followUps, quiet].map((f) => {
        const data: DeliverMessageData = {
          key: jobId('suggestion', f.id),
          kind: 'suggestion',
          target: 'console:team',
          followUpId: f.id,
        };
        return { name: 'suggestion', data, opts: { jobId: data.key } };
      }),
    );
    const ids = [...followUps, quiet].map((f) => f.id);
    const posted = await eventually(
      'every suggestion posted',
      async () => {
        const all = await h.test.db.prisma.followUp.findMany({ where: { id: { in: ids } } });
        return all.every((f) => f.messageRef) ? all : undefined;
      },
      60_000,
    );
    const refs = new Map(posted.map((f) => [f.id, f.messageRef!]));
    const burstRefs = followUps.map((f) => refs.get(f.id)!);
    const topLevel = burstRefs.filter((r) => r.startsWith('console:team|'));
    const grouped = burstRefs.filter((r) => !r.startsWith('console:team|'));
    expect(topLevel).toHaveLength(3);
    expect(grouped).toHaveLength(3);
    // The burst's first card is the one whose delivery took the first burst position; the rest are in its thread.
    const deliveries = await h.test.db.prisma.delivery.findMany({
      where: { key: { in: followUps.map((f) => jobId('suggestion', f.id)) } },
      orderBy: { burstPosition: 'asc' },
    });
    expect(deliveries.map((d) => d.status)).toEqual(Array(6).fill('sent'));
    const first = deliveries[0].externalId!;
    // ... and the first the channel shows: the others wait until it is posted.
    for (const d of deliveries.slice(1))
      expect(d.updatedAt.getTime()).toBeGreaterThan(deliveries[0].updatedAt.getTime());
    expect(topLevel).toContain(`console:team|${first}`);
    for (const r of grouped) expect(r).toMatch(new RegExp(`^console:team/thread/${first}\\|`));
    // Another customer's suggestion in the same batch is its own card in the channel.
    expect(refs.get(quiet.id)).toMatch(/^console:team\|/);
  }, 90_000);

  /** Queues the suggestions' deliveries in one batch and answers their follow-ups once all are posted. */
  async function deliverAll(followUps: Array<{ id: string }>) {
    await h.queues[QueueName.DeliverMessage].addBulk(
      followUps.map((f) => {
        const data: DeliverMessageData = {
          key: jobId('suggestion', f.id),
          kind: 'suggestion',
          target: 'console:team',
          followUpId: f.id,
        };
        return { name: 'suggestion', data, opts: { jobId: data.key } };
      }),
    );
    const ids = followUps.map((f) => f.id);
    const posted = await eventually(
      'every suggestion posted',
      async () => {
        const all = await h.test.db.prisma.followUp.findMany({ where: { id: { in: ids } } });
        return all.every((f) => f.messageRef) ? all : undefined;
      },
      30_000,
    );
    return ids.map((id) => posted.find((f) => f.id === id)!.messageRef!);
  }

  /** The card of the suggestion whose delivery took the first burst position: the burst's first card. */
  async function firstPlaced(followUps: Array<{ id: string }>) {
    const first = await h.test.db.prisma.delivery.findFirstOrThrow({
      where: { key: { in: followUps.map((f) => jobId('suggestion', f.id)) } },
      orderBy: { burstPosition: 'asc' },
    });
    return first.externalId;
  }

  /** A delivery of `followUpId`'s suggestion that an earlier run left in `status`, created `agoMs` ago. */
  const earlierDelivery = (followUpId: string, status: string, agoMs: number) =>
    h.test.db.prisma.delivery.create({
      data: {
        key: jobId('suggestion', followUpId),
        target: 'console:team',
        status,
        payload: { key: jobId('suggestion', followUpId), kind: 'suggestion', target: 'console:team', followUpId },
        createdAt: new Date(Date.now() - agoMs),
      },
    });

  it.each([
    {
      why: 'leaves out a first card that failed for good: the next three are the channel’s, the fourth in the first of them',
      name: 'Failco Concurrent',
      status: 'failed' as const,
      ageMs: 1_000,
    },
    {
      why: 'does not wait more than a minute for a first card that never went out: the next three are the channel’s',
      name: 'Stuckco Concurrent',
      status: 'pending' as const,
      ageMs: 2 * 60_000,
    },
  ])(
    '$why',
    async ({ name, status, ageMs }) => {
      const burst = await company(name);
      const first = await suggested(burst.id, 'Send quote 0');
      await earlierDelivery(first.id, status, ageMs);
      const later = [];
      for (let i = 1; i <= 3; i++) later.push(await suggested(burst.id, `Send quote ${i}`));
      const three = await deliverAll(later);
      expect(three.every((r) => r.startsWith('console:team|'))).toBe(true);
      const fourth = await suggested(burst.id, 'Send quote 4');
      const [grouped] = await deliverAll([fourth]);
      expect(grouped).toMatch(new RegExp(`^console:team/thread/${await firstPlaced(later)}\\|`));
    },
    60_000,
  );
});
