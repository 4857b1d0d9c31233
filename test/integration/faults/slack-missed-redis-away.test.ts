import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackMissedSpoolDir } from '../../../connectors/slack/slack-missed-spool.ts';
import { freePort } from '../../../src/net/free-port.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { killAtHeldWrite } from '../../helpers/kill-at-held-write.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { castAcme, spawnedSlackBots, type SpawnedSlackBots } from '../../helpers/spawned-slack-bot.ts';

const TEAM = 'T1';
const LINKED = 'CACME';
/** The second case's channel, linked to Acme too. */
const LINKED_TOO = 'CACME2';
const DEFAULT = 'CTEAM';
/** The first try and the auto-log's five retries (AUTO_LOG_RETRY_DELAYS_MS, about 20 s). */
const TRIES = 6;

/**
 * A Slack message missed while Redis was away too (the database cut past the auto-log's retries, Redis
 * stopped): its mark lives in the process that missed it. Once Redis is back, that process's next check
 * writes the mark to Redis, even while another process holds the catch-up lock (so this one reads nothing
 * back itself), so when the process is SIGKILLed afterwards the next process reads the message back, even though a newer message of the channel was logged meanwhile (its start's pass alone
 * reads the channel back from the newest logged message and would pass over it). Real bot processes on a
 * redis-server of the test's own, stopped and started again on its port.
 */
describe('a Slack message missed while Redis was away too', () => {
  let dir: string;
  let port: number;
  let redis: PrivateRedis;
  let bots: SpawnedSlackBots;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rapport-missed-redis-'));
    port = await freePort();
    redis = await startPrivateRedis(dir, { port });
    bots = await spawnedSlackBots('missed-redis', {
      teamId: TEAM,
      defaultChannel: DEFAULT,
      env: { RAPPORT_ROLE: 'web', REDIS_URL: redis.url },
    });
    await castAcme(bots, LINKED, DEFAULT);
    bots.slack.channelMembers.set(LINKED_TOO, ['UBOT', 'UADMIN', 'UJO']);
  }, 180_000);
  afterAll(async () => {
    await bots?.dispose();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  type SlackMessage = { ts: string; user: string; text: string };
  const messagesOf = (channel: string, ts: string) =>
    bots.db.prisma.message.findMany({ where: { externalId: `slack:${TEAM}/${channel}/${ts}` } });

  /**
   * A bot links `channel`; Slack's history cannot be read for now (so it cannot read the message back
   * itself); Redis goes away, then every write of `lost` is cut until the process gives up on its event and
   * marks the miss with Redis away. Returns that process and what lets Slack's history answer again.
   */
  const missedWhileRedisAway = async (channel: string, lost: SlackMessage, after: SlackMessage) => {
    const missing = await bots.start();
    expect((await bots.command(channel, 'UADMIN', 'link acme')).status).toBe(200);
    await eventually('the channel linked', () =>
      bots.db.prisma.channelLink.findFirst({
        where: { platform: 'slack', channelRef: `${TEAM}/${channel}`, companyId: { not: null } },
      }),
    );
    let historyDown = true;
    for (let i = 0; i < 50; i++)
      bots.slack.failNext('conversations.history', { error: 'internal_error' }, () => historyDown);
    bots.slack.history.set(channel, [lost, after]);
    await redis.stop();
    await killAtHeldWrite({
      databaseUrl: bots.databaseUrl,
      table: 'Message',
      what: 'the bot waiting on its write of a missed message',
      act: async () => expect((await bots.event({ channel, ...lost })).status).toBe(200),
      kill: async () => {},
      terminations: TRIES,
    });
    await eventually(
      'the miss marked in the process',
      async () => (missing.output().includes('Redis is away too') ? true : undefined),
      60_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${missing.output()}`);
    });
    return { missing, historyUp: () => (historyDown = false) };
  };

  /** The database is back: `after` is logged from its event, and is now the newest message of `channel`. */
  const loggedAfter = async (channel: string, after: SlackMessage) => {
    expect((await bots.event({ channel, ...after })).status).toBe(200);
    await eventually('the next message logged', async () =>
      (await messagesOf(channel, after.ts)).length ? true : undefined,
    );
  };

  /** A new bot logs `lost` once, from Slack's history. */
  const readBackByNext = async (channel: string, lost: SlackMessage, missing: SpawnedRapport) => {
    await bots.start();
    const logged = await eventually(
      'the missed message logged',
      async () => {
        const m = await messagesOf(channel, lost.ts);
        return m.length ? m : undefined;
      },
      90_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${missing.output()}`);
    });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ direction: 'inbound', text: lost.text });
  };

  it('is marked in Redis once it is back, and read back by the next process after the one that missed it was killed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lost = { ts: `${now - 120}.000001`, user: 'UJO', text: 'Our invoice is wrong again' };
    const after = { ts: `${now - 60}.000002`, user: 'UJO', text: 'Any news?' };
    const { missing, historyUp } = await missedWhileRedisAway(LINKED, lost, after);
    redis = await startPrivateRedis(dir, { port });
    const client = connectRedis(redis.url);
    try {
      // Another process of the deployment holds the catch-up lock (its start's pass over hundreds of
      // channels, say): this process's checks read nothing back meanwhile, and still write its mark to Redis.
      const lock = `${bots.prefix}:slack-catch-up`;
      await client.set(lock, 'another-process', 'PX', 120_000);
      await eventually(
        'the miss marked in Redis',
        async () => ((await client.hlen(`${bots.prefix}:slack-missed`)) > 0 ? true : undefined),
        60_000,
      );
      // The other process's pass ends (it lets the lock go).
      await client.del(lock);
    } finally {
      await client.quit();
    }
    await loggedAfter(LINKED, after);
    missing.child.kill('SIGKILL');
    await missing.exited;
    expect(await messagesOf(LINKED, lost.ts)).toHaveLength(0);

    historyUp();
    await readBackByNext(LINKED, lost, missing);
  }, 300_000);

  it('is kept on disk while Redis is away, and read back by the next process after the one that missed it was killed before Redis came back', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lost = { ts: `${now - 100}.000003`, user: 'UJO', text: 'The second delivery never came' };
    const after = { ts: `${now - 50}.000004`, user: 'UJO', text: 'Hello?' };
    const { missing, historyUp } = await missedWhileRedisAway(LINKED_TOO, lost, after);
    const spool = slackMissedSpoolDir(bots.dataDir, bots.prefix);
    expect(readdirSync(spool).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    // Redis is still away.
    await loggedAfter(LINKED_TOO, after);
    // Killed before Redis is back: the mark never reached Redis.
    missing.child.kill('SIGKILL');
    await missing.exited;
    expect(await messagesOf(LINKED_TOO, lost.ts)).toHaveLength(0);

    redis = await startPrivateRedis(dir, { port });
    historyUp();
    await readBackByNext(LINKED_TOO, lost, missing);
    await eventually('the spool let go', async () => (readdirSync(spool).length === 0 ? true : undefined));
  }, 300_000);
});
