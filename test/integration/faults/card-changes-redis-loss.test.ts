import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { slackSlashCommand } from '../../helpers/slack-command.ts';
import type { RecordedMessage, SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
import { freePort } from '../../helpers/spawn-rapport.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where every customer's cards go
const tsOf = (n: number) => `1763940000.${String(n).padStart(6, '0')}`;

/**
 * A card's refresh or retraction is queued after the change it follows has committed. When Redis does
 * not take the job (it is restarting) or loses it (a restart without persistence), the change stays in
 * the database and the card must still follow it: a `forget` must not leave the erased customer's words
 * in the team channel. A real Rapport with its own Redis server, stopped and started again under it.
 */
describe('Card changes survive Redis loss', () => {
  let dir: string;
  let port: number;
  let redis: PrivateRedis;
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let seq = 0;
  const logLines: string[] = [];
  /** Waits until the bot has given up queuing `hook`'s jobs (Redis down), so Redis coming back is too late for them. */
  const hookFailed = (hook: string) =>
    eventually(`the ${hook} hook to fail`, async () =>
      logLines.some((l) => l.includes(`"hook":"${hook}"`) && l.includes('pipeline hook failed')) ? true : undefined,
    );

  const command = (channelId: string, userId: string, text: string) =>
    slackSlashCommand(
      { url: proc.url, slack },
      { teamId: TEAM, channelId, userId, text, ephemeral: channelId === DEFAULT },
    );
  const event = async (e: Record<string, unknown>) => {
    const body = eventCallbackBody(TEAM, { type: 'message', channel_type: 'channel', team: TEAM, ...e }, `Ev${++seq}`);
    expect((await postSignedToSlackEvents(proc.url, SECRET, body, 'application/json')).status).toBe(200);
  };
  const cardIn = (ts: string): RecordedMessage | undefined =>
    slack.messages.find((m) => m.channel === DEFAULT && m.ts === ts);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rapport-card-loss-'));
    port = await freePort();
    redis = await startPrivateRedis(dir, { port });
    bot = await startSlackTestBot({
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
        slack.users.set('UGUEST', {
          is_restricted: true,
          profile: { display_name: 'jo', email: 'jo@initech.example' },
        });
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UADMIN']);
        slack.users.set('UGLOBEX', {
          is_restricted: true,
          profile: { display_name: 'al', email: 'al@globex.example' },
        });
        slack.channelMembers.set('CINITECH', ['UBOT', 'UADMIN', 'UGUEST']);
        slack.channelMembers.set('CGLOBEX', ['UBOT', 'UADMIN', 'UGLOBEX']);
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
    await proc.runtime.db.prisma.company.create({
      data: { name: 'Initech', normalizedName: 'initech', domains: ['initech.example'] },
    });
    expect(String((await command('CINITECH', 'UADMIN', 'link initech')).body.text)).toMatch(/now linked to/);
    await event({
      channel: 'CINITECH',
      user: 'UGUEST',
      ts: tsOf(++seq),
      text: 'The printer broke again, we are unhappy and want a refund',
    });
    const card = await eventually(
      'the suggestion card',
      async () => slack.messages.find((m) => m.channel === DEFAULT && /printer/.test(JSON.stringify(m.blocks))),
      60_000,
    );
    const ask = await command(DEFAULT, 'UADMIN', 'forget initech');
    const confirm = /forget \\?"?Initech\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(ask.body));
    expect(confirm, JSON.stringify(ask.body)).not.toBeNull();

    await redis.stop(); // no persistence: the queue is gone with it
    await command(DEFAULT, 'UADMIN', confirm![0].replaceAll('\\"', '"'));
    expect(await proc.runtime.db.prisma.company.count({ where: { name: 'Initech' } })).toBe(0);
    await hookFailed('cardsRetracted');
    redis = await startPrivateRedis(dir, { port });

    await eventually(
      'the card updated to the erased text',
      async () => {
        const now = cardIn(card.ts);
        return now?.edited && /Erased/.test(now.text ?? '') ? now : undefined;
      },
      60_000,
    );
    expect(JSON.stringify(slack.messages.filter((m) => m.channel === DEFAULT))).not.toMatch(/printer|refund|Initech/);
  }, 180_000);

  it('a message edited while Redis is down: once Redis is back (empty), its suggestion card shows Dismissed', async () => {
    await proc.runtime.db.prisma.company.create({
      data: { name: 'Globex', normalizedName: 'globex', domains: ['globex.example'] },
    });
    expect(String((await command('CGLOBEX', 'UADMIN', 'link globex')).body.text)).toMatch(/now linked to/);
    const ts = tsOf(++seq);
    await event({
      channel: 'CGLOBEX',
      user: 'UGLOBEX',
      ts,
      text: 'Our invoice total is wrong again, this is unacceptable',
    });
    const card = await eventually(
      'the suggestion card',
      async () =>
        slack.messages.find((m) => m.channel === DEFAULT && /invoice total is wrong/.test(JSON.stringify(m.blocks))),
      60_000,
    );
    expect(JSON.stringify(card.blocks)).toMatch(/"Accept"/);

    await redis.stop(); // no persistence: the queue is gone with it
    await event({
      subtype: 'message_changed',
      hidden: true,
      channel: 'CGLOBEX',
      ts: tsOf(++seq),
      message: {
        type: 'message',
        user: 'UGLOBEX',
        text: 'Our invoice total is fine now, thanks for the quick help',
        ts,
        edited: { user: 'UGLOBEX', ts: String(Number(ts) + 60) },
      },
      previous_message: { type: 'message', user: 'UGLOBEX', text: 'x', ts },
    });
    // The edit has dismissed the suggestion made from the old words: committed with Redis down.
    await eventually('the suggestion dismissed', async () =>
      (await proc.runtime.db.prisma.followUp.count({ where: { company: { name: 'Globex' }, status: 'dismissed' } })) > 0
        ? true
        : undefined,
    );
    await hookFailed('followUpChanged');
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
