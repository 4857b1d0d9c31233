import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { castAcme, spawnedSlackBots, type SpawnedSlackBots } from '../../helpers/spawned-slack-bot.ts';

const TEAM = 'T1';
const LINKED = 'CACME';
const DEFAULT = 'CTEAM';
const SHARED = 'CSHARED';
const REFUSED = 'CREFUSED';
const LOCKED = 'CLOCKED';
const SKEWED = 'CSKEWED';
const ACME_TEAM = 'TACME';

/**
 * Slack sends a message event a few times over about an hour while the bot does not answer, then never
 * again; an event acknowledged by a process killed before its write is not sent again at all. A real bot
 * process (PostgreSQL) is killed; while it is down the customer and a rep write in the linked channel
 * (in Slack's history, no event reaches anyone); started again, it reads the channel back from the newest
 * message it had logged and logs what it missed, thread replies included, each once.
 */
describe('a Slack channel read back after the bot was down', () => {
  let bots: SpawnedSlackBots;
  let running: SpawnedRapport | undefined;
  const messagesOf = (ts: string, channel = LINKED) =>
    bots.db.prisma.message.findMany({ where: { externalId: `slack:${TEAM}/${channel}/${ts}` } });
  /** The bot, started if no test has started it yet (or the last one killed it): tests run in any order. */
  const bot = async (): Promise<SpawnedRapport> => {
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null) running = await bots.start();
    return running;
  };
  /**
   * Kills the bot. A process killed while still in its start's pass leaves its catch-up lock (two minutes),
   * which would hold the next process's pass back past a case's wait (seen in CI under load): it is deleted
   * once the process is gone. The cases about a held lock set theirs afterwards.
   */
  const kill = async () => {
    const r = await bot();
    r.child.kill('SIGKILL');
    await r.exited;
    const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      await redis.del(`${bots.prefix}:slack-catch-up`);
    } finally {
      await redis.quit();
    }
  };
  /** A fake lock of a process killed during its catch-up: it stays a few seconds more. */
  const heldLock = async () => {
    const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      await redis.set(`${bots.prefix}:slack-catch-up`, 'a-killed-process', 'PX', 12_000);
    } finally {
      await redis.quit();
    }
  };
  const loggedOnce = async (ts: string, channel: string) => {
    const logged = await eventually(
      `message ${ts} logged`,
      async () => {
        const m = await messagesOf(ts, channel);
        return m.length ? m : undefined;
      },
      90_000,
    );
    expect(logged).toHaveLength(1);
    return logged[0];
  };
  /** `channel` linked to Acme by our admin (Acme's guest UJO in it): each test has its own. */
  const linked = async (channel: string) => {
    await bot();
    bots.slack.channelMembers.set(channel, ['UBOT', 'UADMIN', 'UJO']);
    expect((await bots.command(channel, 'UADMIN', 'link acme')).status).toBe(200);
    await eventually(`${channel} linked`, () =>
      bots.db.prisma.channelLink.findFirst({ where: { channelRef: `${TEAM}/${channel}`, companyId: { not: null } } }),
    );
  };

  beforeAll(async () => {
    bots = await spawnedSlackBots('catch-up', { teamId: TEAM, defaultChannel: DEFAULT });
    await castAcme(bots, LINKED, DEFAULT);
  }, 120_000);
  afterAll(async () => {
    await bots?.dispose();
  });

  it('logs the messages and thread replies written while it was down, once, and nothing twice, and takes edits made meanwhile', async () => {
    const { slack } = bots;
    await linked(LINKED);
    // Logged from its event before the bot goes down.
    const seen = { ts: `${Math.floor(Date.now() / 1000) - 600}.000100`, user: 'UJO', text: 'Is the new export ready?' };
    const res = await bots.event({ channel: LINKED, ...seen });
    expect(res.status).toBe(200);
    await eventually('the first message logged', async () => ((await messagesOf(seen.ts)).length ? true : undefined));

    await kill();
    // While it is down: the customer writes again, and a rep answers the first message in its thread.
    const missed = {
      ts: `${Math.floor(Date.now() / 1000) - 300}.000200`,
      user: 'UJO',
      text: 'We need the export by Friday',
    };
    const reply = { ts: `${Math.floor(Date.now() / 1000) - 200}.000300`, user: 'UADMIN', text: 'It ships on Thursday' };
    // And the customer edits the message the bot had logged.
    const edit = { user: 'UJO', ts: `${Math.floor(Date.now() / 1000) - 100}.000000` };
    const editedText = 'Is the new export ready? We need it in CSV too';
    slack.history.set(LINKED, [
      { ...seen, text: editedText, edited: edit, reply_count: 1, latest_reply: reply.ts },
      missed,
    ]);
    slack.threads.set(`${LINKED}/${seen.ts}`, [seen, reply]);

    running = await bots.start();
    const [logged] = await eventually('the missed message logged', async () => {
      const m = await messagesOf(missed.ts);
      return m.length ? m : undefined;
    });
    expect(logged).toMatchObject({ direction: 'inbound', text: missed.text });
    const [answer] = await eventually('the thread reply logged', async () => {
      const m = await messagesOf(reply.ts);
      return m.length ? m : undefined;
    });
    const [original] = await messagesOf(seen.ts);
    expect(answer).toMatchObject({ direction: 'outbound', text: reply.text, recordId: original.recordId });
    // The first message was read back too (the catch-up starts at the newest logged one): not logged
    // twice, and it has the words the customer edited it to meanwhile.
    expect(await messagesOf(seen.ts)).toMatchObject([{ text: editedText }]);
    expect(await messagesOf(missed.ts)).toHaveLength(1);
    expect(await messagesOf(reply.ts)).toHaveLength(1);
  }, 300_000);

  it('reads back a Slack Connect channel logged by its sharing, without a link; a channel Slack refuses for good is not marked', async () => {
    const { slack, db } = bots;
    await linked(REFUSED);
    // The channel is shared with the customer's own Slack org, whose email domain is Acme's: auto-logged
    // without anybody linking it.
    slack.channels.set(SHARED, {
      is_ext_shared: true,
      is_shared: true,
      connected_team_ids: [ACME_TEAM],
      shared_team_ids: [TEAM, ACME_TEAM],
    });
    slack.teams.set(ACME_TEAM, { name: 'Acme', domain: 'acme', email_domain: 'acme.example' });
    slack.users.set('UBUYER', { team_id: ACME_TEAM, profile: { display_name: 'bo', email: 'bo@acme.example' } });
    slack.channelMembers.set(SHARED, ['UBOT', 'UADMIN', 'UBUYER']);
    const inShared = (ts: string) =>
      db.prisma.message.findMany({ where: { externalId: `slack:${TEAM}/${SHARED}/${ts}` } });
    const seen = { ts: `${Math.floor(Date.now() / 1000) - 500}.000100`, user: 'UBUYER', text: 'Hello from Acme' };
    expect((await bots.event({ channel: SHARED, team: ACME_TEAM, user_team: ACME_TEAM, ...seen })).status).toBe(200);
    await eventually('the shared channel message logged', async () =>
      (await inShared(seen.ts)).length ? true : undefined,
    );
    expect(await db.prisma.channelLink.count({ where: { channelRef: `${TEAM}/${SHARED}` } })).toBe(0);

    await kill();
    const missed = {
      ts: `${Math.floor(Date.now() / 1000) - 100}.000200`,
      user: 'UBUYER',
      team: ACME_TEAM,
      text: 'Can we get the renewal quote?',
    };
    slack.history.set(SHARED, [seen, missed]);
    // Meanwhile the bot was removed from another linked channel: Slack refuses its history for good.
    let refusing = true;
    for (let i = 0; i < 5; i++)
      slack.failNext(
        'conversations.history',
        { error: 'not_in_channel' },
        (body) => refusing && body.channel === REFUSED,
      );
    running = await bots.start();
    const [logged] = await eventually('the missed shared channel message logged', async () => {
      const m = await inShared(missed.ts);
      return m.length ? m : undefined;
    });
    expect(logged).toMatchObject({ direction: 'inbound', text: missed.text });
    expect(await inShared(seen.ts)).toHaveLength(1);
    // That linked channel (read back before this one) is not marked to be asked again every 30 s.
    const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      expect(await redis.hkeys(`${bots.prefix}:slack-missed`)).toEqual([]);
    } finally {
      await redis.quit();
    }
    refusing = false;
  }, 300_000);

  it('reads back at the next check when a process killed during its own catch-up still holds the lock', async () => {
    await linked(LOCKED);
    await kill();
    const missed = { ts: `${Math.floor(Date.now() / 1000)}.000400`, user: 'UJO', text: 'Hello? Anyone there?' };
    bots.slack.history.set(LOCKED, [missed]);
    // The process before was killed during its catch-up: its lock stays a few seconds more.
    await heldLock();
    running = await bots.start();
    expect(await loggedOnce(missed.ts, LOCKED)).toMatchObject({ direction: 'inbound', text: missed.text });
  }, 300_000);

  it('does not take a pass noted by a machine whose clock runs an hour ahead for one made after its start', async () => {
    await linked(SKEWED);
    await kill();
    // A process on a machine whose clock is an hour ahead starts, reads every channel back and notes its pass.
    const dir = mkdtempSync(join(tmpdir(), 'rapport-skew-'));
    const skew = join(dir, 'skew.mjs');
    writeFileSync(skew, 'const now = Date.now; Date.now = () => now() + 3_600_000;\n');
    try {
      const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      try {
        await redis.del(`${bots.prefix}:slack-catch-up:linked-at`);
        running = await bots.start({ NODE_OPTIONS: `--import=${pathToFileURL(skew).href}` });
        await eventually('the pass noted', () => redis.get(`${bots.prefix}:slack-catch-up:linked-at`), 60_000);
      } finally {
        await redis.quit();
        // Also when the wait failed: a process an hour ahead would refuse the next test's signed requests.
        await kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Nobody runs while the customer writes; the next process finds the lock of one killed in its catch-up.
    const missed = { ts: `${Math.floor(Date.now() / 1000)}.000500`, user: 'UJO', text: 'Are you still there?' };
    bots.slack.history.set(SKEWED, [missed]);
    await heldLock();
    running = await bots.start();
    expect(await loggedOnce(missed.ts, SKEWED)).toMatchObject({ direction: 'inbound', text: missed.text });
  }, 300_000);
});
