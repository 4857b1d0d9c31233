import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { killAtHeldWrite } from '../../helpers/kill-at-held-write.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { castAcme, spawnedSlackBots, type SpawnedSlackBots } from '../../helpers/spawned-slack-bot.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';

const TEAM = 'T1';
const LINKED = 'CACME';
const DEFAULT = 'CTEAM';
/** The first try and the auto-log's five retries (AUTO_LOG_RETRY_DELAYS_MS, about 20 s). */
const TRIES = 6;

/**
 * Slack has its ack before the bot writes a message and never sends that event again. When the database
 * stays away longer than the auto-log's retries (every write of the message ends with its connection
 * terminated, six times), the message must still be logged once the database is back, even though a
 * newer message of the same channel is logged meanwhile (the start's catch-up reads a channel back from
 * its newest logged message only, so it would pass over the missed one): real bot processes (PostgreSQL,
 * Redis), one SIGKILLed before it could read its miss back.
 */
describe('a Slack message whose write fails past its retries', () => {
  let bots: SpawnedSlackBots;
  let bot: SpawnedRapport;
  const messagesOf = (ts: string) =>
    bots.db.prisma.message.findMany({ where: { externalId: `slack:${TEAM}/${LINKED}/${ts}` } });
  const loggedOnce = async (ts: string) => {
    const logged = await eventually(
      `message ${ts} logged`,
      async () => {
        const m = await messagesOf(ts);
        return m.length ? m : undefined;
      },
      90_000,
    );
    expect(logged).toHaveLength(1);
    return logged[0];
  };
  type Posted = { ts: string; user: string; text: string; thread_ts?: string };
  const post = async (message: Posted | Deletion, to?: SpawnedRapport) => {
    const res = await bots.event({ channel: LINKED, ...message }, to);
    expect(res.status).toBe(200);
  };
  /**
   * Posts `messages` (to process `to`, by default the one started last) while every write of them is
   * cut, until the bot has given up on their events.
   */
  const missed = (messages: Array<Posted | Deletion>, to?: SpawnedRapport) =>
    killAtHeldWrite({
      databaseUrl: bots.databaseUrl,
      table: 'Message',
      what: 'the bot waiting on its write of a missed message',
      act: async () => {
        for (const m of messages) await post(m, to);
      },
      kill: async () => {},
      terminations: TRIES * messages.length,
    });
  /** A `message_deleted` event as Slack sends it. */
  type Deletion = {
    subtype: 'message_deleted';
    hidden: true;
    ts: string;
    deleted_ts: string;
    previous_message: Posted;
  };
  /** Slack's histories fail (internal_error) until the returned function is called. */
  const historyDown = () => {
    let down = true;
    for (let i = 0; i < 50; i++) bots.slack.failNext('conversations.history', { error: 'internal_error' }, () => down);
    return () => {
      down = false;
    };
  };
  const at = (secondsAgo: number, seq: number) =>
    `${Math.floor(Date.now() / 1000) - secondsAgo}.${String(seq).padStart(6, '0')}`;

  beforeAll(async () => {
    // A web process (as behind a load balancer): no jobs of its own write the Message table meanwhile.
    bots = await spawnedSlackBots('missed', { teamId: TEAM, defaultChannel: DEFAULT, env: { RAPPORT_ROLE: 'web' } });
    await castAcme(bots, LINKED, DEFAULT);
    bot = await bots.start();
    const link = await bots.command(LINKED, 'UADMIN', 'link acme');
    expect(link.status).toBe(200);
    await eventually('the channel linked', () =>
      bots.db.prisma.channelLink.findFirst({ where: { platform: 'slack', companyId: { not: null } } }),
    );
  }, 180_000);
  afterAll(async () => {
    await bots?.dispose();
  });

  it('is read back by the next process when the one that missed it was killed first', async () => {
    const { slack } = bots;
    // Slack's history cannot be read for now, so the process that missed the message cannot read it back.
    const historyUp = historyDown();
    const lost = { ts: at(120, 1), user: 'UJO', text: 'Our invoice is wrong again' };
    const after = { ts: at(60, 2), user: 'UJO', text: 'Any news?' };
    slack.history.set(LINKED, [lost, after]);
    await missed([lost]);
    // The database is back: the next message is logged from its event, and is now the newest there.
    await post(after);
    await loggedOnce(after.ts);
    bot.child.kill('SIGKILL');
    await bot.exited;
    expect(await messagesOf(lost.ts)).toHaveLength(0);

    historyUp();
    bot = await bots.start();
    expect(await loggedOnce(lost.ts)).toMatchObject({ direction: 'inbound', text: lost.text });
  }, 240_000);

  it('is read back by the same process once the database is back, thread replies from their thread', async () => {
    const { slack } = bots;
    const lost = { ts: at(50, 3), user: 'UJO', text: 'The export failed twice today' };
    const after = { ts: at(40, 4), user: 'UJO', text: 'Still failing' };
    // A rep's answer in the thread of a message logged earlier, older than anything read back from the channel.
    const opener = { ts: at(60, 8), user: 'UJO', text: 'Where is my export?' };
    await post(opener);
    const parent = await loggedOnce(opener.ts);
    const parentTs = opener.ts;
    const reply = { ts: at(30, 5), user: 'UADMIN', text: 'Fixed on our side, sorry', thread_ts: parentTs };
    slack.history.set(LINKED, [...(slack.history.get(LINKED) ?? []), lost, after]);
    slack.threads.set(`${LINKED}/${parentTs}`, [{ ts: parentTs, user: 'UJO', text: parent.text }, reply]);
    await missed([lost, reply]);
    await post(after);
    await loggedOnce(after.ts);
    expect(await loggedOnce(lost.ts)).toMatchObject({ direction: 'inbound', text: lost.text });
    expect(await loggedOnce(reply.ts)).toMatchObject({
      direction: 'outbound',
      text: reply.text,
      recordId: parent.recordId,
    });
    // The process that missed them read them back: it was never restarted.
    expect(bot.child.exitCode).toBeNull();
  }, 240_000);

  it('is read back at a later check when Slack could not be read at first', async () => {
    const { slack } = bots;
    const historyUp = historyDown();
    const lost = { ts: at(20, 6), user: 'UJO', text: 'Please call me back about the renewal' };
    const after = { ts: at(10, 7), user: 'UJO', text: 'Tomorrow works too' };
    slack.history.set(LINKED, [...(slack.history.get(LINKED) ?? []), lost, after]);
    const reads = () => slack.callsTo('conversations.history').filter((c) => c.body.channel === LINKED).length;
    const before = reads();
    await missed([lost]);
    await post(after);
    await loggedOnce(after.ts);
    // Its first read back (5 s after the miss) finds Slack failing; then Slack is fine again.
    await eventually('a read back that fails', async () => (reads() > before ? true : undefined), 30_000);
    historyUp();
    expect(await loggedOnce(lost.ts)).toMatchObject({ direction: 'inbound', text: lost.text });
    expect(bot.child.exitCode).toBeNull();
  }, 240_000);

  it('is read back by another running process when the one that missed it was killed first', async () => {
    const { slack } = bots;
    const historyUp = historyDown();
    const missing = bot;
    // A second process behind the load balancer, running before the miss (its start's pass is over).
    const other = await bots.start();
    const lost = { ts: at(30, 9), user: 'UJO', text: 'The dashboard shows last month twice' };
    slack.history.set(LINKED, [...(slack.history.get(LINKED) ?? []), lost]);
    await missed([lost], missing);
    // The miss is marked in Redis before the process that missed it is killed.
    const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      await eventually('the miss marked', async () =>
        (await redis.hlen(`${bots.prefix}:slack-missed`)) > 0 ? true : undefined,
      );
    } finally {
      await redis.quit();
    }
    missing.child.kill('SIGKILL');
    await missing.exited;
    bot = other;
    historyUp();
    // Read back at one of the other process's 30 s checks: no process starts meanwhile.
    expect(await loggedOnce(lost.ts)).toMatchObject({ direction: 'inbound', text: lost.text });
    expect(other.child.exitCode).toBeNull();
  }, 240_000);

  it('reads back the messages after one it cannot log, and that one once it can be logged', async () => {
    const { slack } = bots;
    const refused = { ts: at(20, 10), user: 'UJO', text: 'Order 4411 (cannot be logged)' };
    // Written after it; its event never reached the bot (Slack gave up on it), so only a read-back logs it.
    const next = { ts: at(10, 11), user: 'UJO', text: 'Also, the invoice address changed' };
    slack.history.set(LINKED, [...(slack.history.get(LINKED) ?? []), refused, next]);
    // A message this bot cannot log (here PostgreSQL refuses it: a trigger), not the database being away.
    await bots.db.sql.exec(`
      CREATE FUNCTION refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
      CREATE TRIGGER refuse_message BEFORE INSERT ON "Message"
        FOR EACH ROW WHEN (NEW.text LIKE '%(cannot be logged)%') EXECUTE FUNCTION refuse_message();`);
    try {
      await post(refused);
      // Its retries (about 20 s) end in a mark; the read-back 5 s later logs what follows it, and marks it.
      expect(await loggedOnce(next.ts)).toMatchObject({ direction: 'inbound', text: next.text });
      const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      try {
        // Marked alone: the checks read it back by itself, not the channel from it on.
        await eventually('the refused message marked', async () =>
          (await redis.hget(`${bots.prefix}:slack-missed`, `${TEAM}/${LINKED}!${refused.ts}`)) === refused.ts
            ? true
            : undefined,
        );
        // And the channel's own mark goes: at once, or, when the live event's mark came after a read-back had
        // passed it (as in some orders of these cases), at the next check (every 30 s), not held for days.
        await eventually(
          "the channel's own mark gone",
          async () =>
            (await redis.hget(`${bots.prefix}:slack-missed`, `${TEAM}/${LINKED}`)) === null ? true : undefined,
          45_000,
        );
      } finally {
        await redis.quit();
      }
      expect(await messagesOf(refused.ts)).toHaveLength(0);
    } finally {
      await bots.db.sql.exec('DROP TRIGGER refuse_message ON "Message"; DROP FUNCTION refuse_message();');
    }
    // Once it can be logged, a later check does, reading that message alone.
    expect(await loggedOnce(refused.ts)).toMatchObject({ direction: 'inbound', text: refused.text });
    expect(
      slack
        .callsTo('conversations.history')
        .some((c) => c.body.latest === refused.ts && c.body.oldest === refused.ts && Number(c.body.limit) === 1),
    ).toBe(true);
    expect(bot.child.exitCode).toBeNull();
  }, 240_000);
  it('applies a deletion whose write failed past its retries once the database is back', async () => {
    const { slack } = bots;
    const said = { ts: at(15, 12), user: 'UJO', text: 'Ignore this, posted in the wrong channel' };
    await post(said);
    await loggedOnce(said.ts);
    // Deleted in Slack: its history no longer lists it, and every write of the deletion is cut past its retries.
    slack.history.set(
      LINKED,
      (slack.history.get(LINKED) ?? []).filter((m) => m.ts !== said.ts),
    );
    await missed([
      { subtype: 'message_deleted', hidden: true, ts: at(5, 13), deleted_ts: said.ts, previous_message: said },
    ]);
    // The database is back: the catch-up applies it (5 s after the miss). On the code before, never.
    await eventually(
      'the deleted message gone',
      async () => ((await messagesOf(said.ts)).length === 0 ? true : undefined),
      60_000,
    );
    expect(bot.child.exitCode).toBeNull();
  }, 240_000);
});
