import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { spawnedTeamsWorkers, type SpawnedTeamsWorkers } from '../../helpers/spawned-teams-workers.ts';

// Issue 15 item 6, the part the lease cannot cover: Teams accepted a card and the worker died before
// it heard back (SIGKILL while Teams' answer is on its way), so the Delivery row stays `posting`. The
// next worker reads the channel back through Microsoft Graph (the recorder answers as Graph does),
// finds the card by its delivery key and records it instead of posting it again. Where Graph refuses
// (consent not granted in that team) it cannot tell: it posts again and says so in its log.
const found = '19:found@thread.tacv2';
const refused = '19:refused@thread.tacv2';
let workers: SpawnedTeamsWorkers;

beforeAll(async () => {
  workers = await spawnedTeamsWorkers('lostpost');
});
afterAll(async () => {
  await workers?.dispose();
});

/** A worker that reads Graph (Emulator mode, no app id: asked without a token, at the recorder). */
const startWorker = () => workers.start({ MICROSOFT_GRAPH_URL: `${workers.recorder.url}v1.0`, LOG_LEVEL: 'info' });

async function channelCards(conversation: string): Promise<number> {
  return workers.recorder.cards().filter((c) => c.conversationId === conversation && c.method === 'POST').length;
}

async function channelDelivery(conversation: string) {
  return workers.db.prisma.delivery.findFirst({
    where: { target: `teams:${conversation}` },
    select: { key: true, status: true, externalId: true, lastError: true },
  });
}

describe('a Teams post accepted by Teams whose worker died before recording it', () => {
  it('is found through Graph by the next worker and not posted again; where Graph refuses it is posted again, with a warning', async () => {
    const { db, recorder } = workers;
    recorder.graphRequiresToken = false;
    for (const [conversation, group] of [
      [found, 'group-found'],
      [refused, 'group-refused'],
    ]) {
      await workers.linkOursOnly(conversation, {
        conversation: { id: conversation, tenantId: 'tenant-1', conversationType: 'channel' },
        teamsTeamId: conversation,
      });
      recorder.setTeam(conversation, group);
      recorder.holdNextSend(conversation);
    }
    recorder.graphRefuses.add(refused);

    const first = await startWorker();
    await workers.remindSoon(
      'Wayne',
      [found, refused].map((conversation) => ({ conversation, title: `Call Bruce (${conversation})` })),
    );

    // Teams has both cards; the worker is still waiting for the answers when it dies.
    await eventually(
      'both cards to reach Teams',
      async () => (await channelCards(found)) === 1 && (await channelCards(refused)) === 1,
      120_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${first.output()}`);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await channelDelivery(found))?.status).toBe('posting');
    expect((await channelDelivery(refused))?.status).toBe('posting');
    recorder.releaseHeld();

    const second = await startWorker();
    await eventually(
      'both deliveries recorded by the next worker',
      async () =>
        (await channelDelivery(found))?.status === 'sent' && (await channelDelivery(refused))?.status === 'sent',
      120_000,
    ).catch(async (err) => {
      throw new Error(
        `${(err as Error).message}\n${JSON.stringify(await db.prisma.delivery.findMany())}\n${second.output()}`,
      );
    });

    // Found: one card, and the delivery names the message Teams has.
    const foundCards = recorder.cards().filter((c) => c.conversationId === found && c.method === 'POST');
    expect(foundCards.length).toBe(1);
    expect((await channelDelivery(found))?.externalId).toBe(foundCards[0].answeredId);
    expect(recorder.graphRequests.some((r) => r.url.startsWith('/v1.0/teams/group-found/channels/'))).toBe(true);
    // Refused: Rapport cannot tell, so the card goes out again (at least once, never lost), and the log says why.
    expect(await channelCards(refused)).toBe(2);
    expect(second.output()).toContain('ChannelMessage.Read.Group');
    expect(second.output()).toContain('cannot tell whether a post went out');

    second.child.kill('SIGTERM');
    expect([0, null]).toContain(await second.exited);
  }, 600_000);
});
