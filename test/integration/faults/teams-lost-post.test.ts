import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

// Issue 15 item 6, the part the lease cannot cover: Teams accepted a card and the worker died before
// it heard back (SIGKILL while Teams' answer is on its way), so the Delivery row stays `posting`. The
// next worker reads the channel back through Microsoft Graph (the recorder answers as Graph does),
// finds the card by its delivery key and records it instead of posting it again. Where Graph refuses
// (consent not granted in that team) it cannot tell: it posts again and says so in its log.
const prefix = `{rapport-lostpost-${randomBytes(4).toString('hex')}}`;
const found = '19:found@thread.tacv2';
const refused = '19:refused@thread.tacv2';
let dir: string;
let scratch: { url: string; drop(): Promise<void> };
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let recorder: TeamsRecorder;
const procs: SpawnedRapport[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-lostpost-'));
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  client = connectRedis('redis://127.0.0.1:6379');
  queues = createQueues(client, prefix);
  recorder = await new TeamsRecorder().start();
});
afterAll(async () => {
  recorder.releaseHeld();
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await closeQueues(queues);
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
  await db.close();
  await scratch.drop();
  await recorder.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(): Promise<SpawnedRapport> {
  const port = await freePort();
  const proc = spawnRapport(['start'], {
    RAPPORT_ROLE: 'worker',
    DATABASE_URL: scratch.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    RAPPORT_QUEUE_PREFIX: prefix,
    TEAMS_ENABLED: 'true',
    // Emulator mode (no app id): Graph is asked without a token, at the recorder.
    MICROSOFT_GRAPH_URL: `${recorder.url}v1.0`,
    PORT: String(port),
    RAPPORT_DATA_DIR: dir,
    RAPPORT_JOB_LOCK_MS: '2000',
    RAPPORT_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'info',
  });
  procs.push(proc);
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 180_000, proc); // a loaded 2-core machine takes its time
  return proc;
}

async function channelCards(conversation: string): Promise<number> {
  return recorder.cards().filter((c) => c.conversationId === conversation && c.method === 'POST').length;
}

async function channelDelivery(conversation: string) {
  return db.prisma.delivery.findFirst({
    where: { target: `teams:${conversation}` },
    select: { key: true, status: true, externalId: true, lastError: true },
  });
}

describe('a Teams post accepted by Teams whose worker died before recording it', () => {
  it('is found through Graph by the next worker and not posted again; where Graph refuses it is posted again, with a warning', async () => {
    recorder.graphRequiresToken = false;
    for (const [conversation, group] of [
      [found, 'group-found'],
      [refused, 'group-refused'],
    ]) {
      await db.prisma.channelLink.create({
        data: {
          platform: 'teams',
          channelRef: conversation,
          conversationRef: {
            serviceUrl: recorder.url,
            channelId: 'msteams',
            conversation: { id: conversation, tenantId: 'tenant-1', conversationType: 'channel' },
            teamsTeamId: conversation,
          },
        },
      });
      recorder.setTeam(conversation, group);
      // Only our own people there: the last-step guard lets the card through.
      recorder.setMembers(conversation, [
        { id: '29:jo', name: 'Jo', aadObjectId: 'aad-jo', tenantId: 'tenant-1', userRole: 'user' },
      ]);
      recorder.holdNextSend(conversation);
    }
    recorder.graphRefuses.add(refused);

    const first = await startWorker();
    const actor = { platform: 'teams' as const, platformUserId: 'aad-jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(db.prisma, actor);
    const audit = { repId: rep.id, platform: 'teams' };
    const company = await createCustomer(db.prisma, 'Wayne', audit);
    for (const conversation of [found, refused])
      await createFollowUp(
        db,
        {
          companyId: company.id,
          title: `Call Bruce (${conversation})`,
          dueAt: new Date(Date.now() + 500),
          assigneeRepId: rep.id,
          actor: audit,
          fallbackRemindTarget: `teams:${conversation}`,
        },
        bullmqPipelineHooks(db, client, queues),
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
