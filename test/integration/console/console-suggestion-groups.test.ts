import { Job } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverMessage } from '../../../jobs/deliver-message.job.ts';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { launchChromium, artifactPath, startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

// Issue 20, "Chat cards": 200 logs for one customer must not post 200 suggestion cards. The delivery
// job's rule (from a customer's fourth suggestion within 10 minutes, the thread of the first card) is
// the same for every platform with threads; the console's team channel folds that thread under the
// first card. Real delivery job, real Redis-shared feed, the channel page in headless Chromium.
describe('console team channel in headless Chromium: a burst of one customer’s suggestions', () => {
  let h: PipelineHarness;
  let app: ConsoleServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    h = await startPipelineHarness('pglite');
    app = await startConsoleServer(h.test.db, { connector: h.console, hooks: h.hooks });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await h?.dispose();
  });

  /** A suggested follow-up of `companyId` posted by the delivery job, as classification queues it. */
  async function suggest(companyId: string, title: string, otherCompanyId?: string) {
    const f = await h.test.db.prisma.followUp.create({
      data: {
        companyId: otherCompanyId ?? companyId,
        title,
        dueAt: new Date(Date.now() + 86_400_000),
        status: 'suggested',
        source: 'suggested',
        reason: 'quote request (0.91)',
      },
    });
    const data: DeliverMessageData = {
      key: `suggestion:${f.id}`,
      kind: 'suggestion',
      target: 'console:team',
      followUpId: f.id,
    };
    const job = new Job(h.queues[QueueName.DeliverMessage], 'suggestion', data, { jobId: data.key });
    expect((await deliverMessage(job, undefined, h.deps)).status).toBe('sent');
    return f;
  }

  it('shows three cards in the channel and folds the rest under the first, each with its buttons; a click updates the card in its group', async () => {
    const company = (name: string) =>
      h.test.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains: [] } });
    const burst = await company('Burstco Console');
    const other = await company('Quietco Console');
    await page.goto(`${app.base}/console/channel`);
    await expect.poll(() => page.locator('#stream-state').textContent(), { timeout: 30_000 }).toBe('live');

    const titles = [
      'quote for 50 seats',
      'pricing for 20 licences',
      'enterprise offer',
      'contract for 100 seats',
      'support add-on',
    ];
    const burstFollowUps = [];
    for (const title of titles) burstFollowUps.push(await suggest(burst.id, `Send the ${title}`));
    // Another customer's suggestion in the same minutes is its own card in the channel.
    await suggest(other.id, 'Send the quiet quote');

    const topLevel = page.locator('#feed > li');
    await expect.poll(() => topLevel.count(), { timeout: 30_000 }).toBe(4);
    const first = topLevel.filter({ hasText: 'quote for 50 seats' });
    const group = first.locator(':scope > details.thread');
    await expect.poll(() => group.locator('summary').textContent()).toBe('2 more messages in this thread');
    // Folded: the channel shows three Burstco cards and the other customer's, not five Burstco cards.
    expect(await group.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await topLevel.filter({ hasText: 'Burstco Console' }).count()).toBe(3);
    await group.locator('summary').click();
    const grouped = group.locator('ol > li');
    await expect.poll(() => grouped.count()).toBe(2);
    await expect
      .poll(() => grouped.allTextContents())
      .toEqual([
        expect.stringMatching(/contract for 100 seats[\s\S]*grouped in this thread/),
        expect.stringMatching(/support add-on[\s\S]*grouped in this thread/),
      ]);
    for (const card of await grouped.all()) await card.getByRole('button', { name: 'Accept' }).waitFor();

    // Each grouped card is its follow-up's card: its messageRef names the thread, so clicks update it there.
    const fourth = await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: burstFollowUps[3].id } });
    const firstRef = (await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: burstFollowUps[0].id } }))
      .messageRef!;
    const firstId = firstRef.split('|')[1];
    expect(fourth.messageRef).toMatch(new RegExp(`^console:team/thread/${firstId}\\|`));

    await grouped.first().getByRole('button', { name: 'Accept' }).click();
    await eventually(
      'the fourth suggestion accepted',
      async () => (await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: fourth.id } })).status === 'open',
      30_000,
    );
    await expect.poll(() => grouped.first().textContent(), { timeout: 30_000 }).not.toMatch(/Accept/);
    // Updated in place: still two cards in the group, still four in the channel.
    expect(await grouped.count()).toBe(2);
    expect(await topLevel.count()).toBe(4);
    await first.evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: artifactPath('console-suggestion-group-390.png') });
  }, 180_000);
});
