import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { killAtHeldWrite } from '../../helpers/kill-at-held-write.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { slackWorkspace } from '../../helpers/slack-command.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
import { freePort, spawnRapport } from '../../helpers/spawn-rapport.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where every customer's cards go

/**
 * A card's refresh or retraction is queued after the change it follows has committed. When Redis does
 * not take the job (it is restarting) or loses it (a restart without persistence), the change stays in
 * the database and the card must still follow it: an erasure must not leave the erased customer's words
 * in the team channel; nor may a process killed between the erasure's commit and its queuing of the
 * retractions. A real Rapport (on PostgreSQL, so the CLI can share its database) with its own
 * Redis server, stopped and started again under it. Each test has its own customer, channel and guest.
 */
describe('Card changes survive Redis loss and a killed process', () => {
  let dir: string;
  let port: number;
  let redis: PrivateRedis;
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  const logLines: string[] = [];

  const workspace = slackWorkspace(() => ({ url: proc.url, slack }), TEAM, DEFAULT);
  const { command, message: event } = workspace;
  const customerWithCard = (name: string, complaint: string) =>
    workspace.customerWithCard(proc.runtime.db, name, complaint);
  const cardIn = (ts: string): RecordedMessage | undefined =>
    slack.messages.find((m) => m.channel === DEFAULT && m.ts === ts);
  /**
   * Waits until the bot has given up queuing `hook`'s jobs (Redis down) after log line `since`, so Redis
   * coming back is too late for them.
   */
  const hookFailed = (hook: string, since: number) =>
    eventually(`the ${hook} hook to fail`, async () =>
      logLines.slice(since).some((l) => l.includes(`"hook":"${hook}"`) && l.includes('pipeline hook failed'))
        ? true
        : undefined,
    );
  const erased = (card: RecordedMessage, words: RegExp) =>
    eventually(
      'the card updated to the erased text',
      async () => {
        const now = cardIn(card.ts);
        return now?.edited && /Erased/.test(now.text ?? '') ? now : undefined;
      },
      60_000,
    ).then(() => expect(JSON.stringify(slack.messages.filter((m) => m.channel === DEFAULT))).not.toMatch(words));
  /** `rapport erase NAME --yes` as a separate process on the bot's database and Redis (as it is now). */
  const spawnErase = (name: string) =>
    spawnRapport(['erase', name, '--yes'], {
      DATABASE_URL: proc.runtime.config.databaseUrl,
      REDIS_URL: redis.url,
      RAPPORT_QUEUE_PREFIX: bot!.test.prefix,
      RAPPORT_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
    });
  const eraseCli = async (name: string) => {
    const p = spawnErase(name);
    const code = await p.exited;
    expect(code, p.output()).toBe(0);
    expect(p.output()).toContain(`${name} was erased`);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rapport-card-loss-'));
    port = await freePort();
    redis = await startPrivateRedis(dir, { port });
    bot = await startSlackTestBot({
      database: 'postgres',
      env: {
        REDIS_URL: redis.url,
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`,
        // Looks every second whether Redis lost its data; the periodic reconcile is an hour away.
        RAPPORT_REDIS_CHECK_SECONDS: '1',
        RAPPORT_RECONCILE_SECONDS: '3600',
      },
      name: 'card-changes-redis-loss',
      logger: loggerInto(logLines, 'warn'),
      beforeStart: (slack) => {
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UADMIN']);
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  });
  afterAll(async () => {
    await bot?.dispose();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forget while Redis is down: once Redis is back (empty), the card of the erased customer is taken back', async () => {
    const { card } = await customerWithCard('Initech', 'The printer broke again, we are unhappy and want a refund');
    const ask = await command(DEFAULT, 'UADMIN', 'forget initech');
    const confirm = /forget \\?"?Initech\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();

    const since = logLines.length;
    await redis.stop(); // no persistence: the queue is gone with it
    await command(DEFAULT, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await proc.runtime.db.prisma.company.count({ where: { name: 'Initech' } })).toBe(0);
    await hookFailed('cardsRetracted', since);
    redis = await startPrivateRedis(dir, { port });

    await erased(card, /printer|refund|Initech/);
  }, 180_000);

  it('rapport erase (the CLI) while Redis is down: once Redis is back (empty), the card is taken back', async () => {
    const { card } = await customerWithCard('Hooli', 'The hoverboard order arrived broken, we are angry');
    await redis.stop();
    await eraseCli('Hooli');
    redis = await startPrivateRedis(dir, { port });

    await erased(card, /hoverboard|Hooli/);
  }, 180_000);

  it('rapport erase (the CLI) takes back the cards of the erased customer', async () => {
    const { card } = await customerWithCard('Vandelay', 'The latex shipment is late again, we are unhappy');
    await eraseCli('Vandelay');

    await erased(card, /latex|Vandelay/);
  }, 180_000);

  it('rapport erase killed the moment it writes the card retractions: the erasure and its retractions commit together, so the card is still taken back', async () => {
    const { card } = await customerWithCard(
      'Kramerica',
      'The oil tanker bladders leak, we are angry and want a refund',
    );
    // The erasing process is killed at its write of the card retractions (held up by a lock on Delivery).
    // Where that write followed the erasure's commit, the customer was gone and nothing would ever take
    // the card back.
    let erasing: ReturnType<typeof spawnErase> | undefined;
    await killAtHeldWrite({
      databaseUrl: proc.runtime.config.databaseUrl!,
      table: 'Delivery',
      what: 'the erasing process waiting on its write of the card retractions',
      act: async () => {
        erasing = spawnErase('Kramerica');
      },
      kill: async () => {
        erasing?.child.kill('SIGKILL');
        await erasing?.exited;
      },
    });
    // All or nothing: a killed erasure erased nothing (and is run again), or its retractions committed with it.
    if ((await proc.runtime.db.prisma.company.count({ where: { name: 'Kramerica' } })) > 0) await eraseCli('Kramerica');

    await erased(card, /tanker|refund|Kramerica/);
  }, 180_000);

  it('a message edited while Redis is down: once Redis is back (empty), its suggestion card shows Dismissed', async () => {
    const { card, guest, channel, ts } = await customerWithCard(
      'Globex',
      'Our invoice total is wrong again, this is unacceptable',
    );
    expect(JSON.stringify(card.blocks)).toMatch(/"Accept"/);

    const since = logLines.length;
    await redis.stop(); // no persistence: the queue is gone with it
    await event({
      subtype: 'message_changed',
      hidden: true,
      channel,
      ts: String(Number(ts) + 60),
      message: {
        type: 'message',
        user: guest,
        text: 'Our invoice total is fine now, thanks for the quick help',
        ts,
        edited: { user: guest, ts: String(Number(ts) + 60) },
      },
      previous_message: { type: 'message', user: guest, text: 'x', ts },
    });
    // The edit has dismissed the suggestion made from the old words: committed with Redis down.
    await eventually('the suggestion dismissed', async () =>
      (await proc.runtime.db.prisma.followUp.count({ where: { company: { name: 'Globex' }, status: 'dismissed' } })) > 0
        ? true
        : undefined,
    );
    await hookFailed('followUpChanged', since);
    redis = await startPrivateRedis(dir, { port });

    const now = await eventually(
      'the card updated to Dismissed',
      async () => {
        const c = cardIn(card.ts);
        return c?.edited && /Dismissed/.test(JSON.stringify(c)) ? c : undefined;
      },
      60_000,
    );
    expect(JSON.stringify(now.blocks)).not.toMatch(/"Accept"/);
  }, 180_000);
});
