import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadingClient } from '../../../connectors/slack/slack-clients.ts';
import { catchUpSlackHistory, type SlackCatchUpDeps } from '../../../connectors/slack/slack-history-catch-up.ts';
import { SlackMissedMarks } from '../../../connectors/slack/slack-missed-marks.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { loggerInto } from '../../helpers/test-process.ts';

const LOCK_MS = 1_500;

/**
 * One start's pass over the linked channels at a time per deployment: a pass that outlasts the catch-up
 * lock (hundreds of channels under Slack's rate limits; here one history Slack answers slowly) keeps it,
 * so a process starting meanwhile (a rolling deploy) does not read everything again beside it. Real
 * Redis, PostgreSQL (PGlite) and the Slack Web API client against a recording server.
 */
describe('the Slack catch-up lock', () => {
  const slack = new SlackRecorder();
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `{rapport-lock-${randomBytes(4).toString('hex')}}`;
  let t: TestDatabase;
  let deps: SlackCatchUpDeps;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    t = await createTestDatabase('pglite');
    const company = await t.db.prisma.company.create({
      data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] },
    });
    await t.db.prisma.channelLink.create({
      data: { platform: 'slack', channelRef: 'T1/CACME', companyId: company.id },
    });
    const client = createReadingClient({ token: 'xoxb-test-token', apiUrl });
    deps = {
      db: t.db,
      redis,
      prefix,
      clientFor: async () => client,
      // What is logged is not what this test is about: every message read back is handed on and dropped.
      autoLogger: { handle: async () => ({ action: 'ignored' }) as never },
      marks: new SlackMissedMarks(redis, prefix),
      logger: loggerInto([], 'error'),
      maxDays: 7,
      lockMs: LOCK_MS,
    };
  }, 60_000);
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await t?.dispose();
    await slack.stop();
  });

  it('is kept by a pass that outlasts it, and let go when that pass ends', async () => {
    slack.history.set('CACME', [{ ts: `${Math.floor(Date.now() / 1000)}.000100`, user: 'UJO', text: 'Hi' }]);
    const slow = slack.holdNext('conversations.history', (body) => body.channel === 'CACME');
    const first = catchUpSlackHistory(deps, { linked: true });
    await slow.arrived;
    // Three times the lock's life later, the first pass is still reading.
    await new Promise((r) => setTimeout(r, 3 * LOCK_MS));
    const beside = await catchUpSlackHistory(deps, { linked: true });
    expect(beside.ran).toBe(false);
    slow.release();
    expect(await first).toMatchObject({ ran: true, channels: 1, read: 1 });
    // Let go at its end: the next pass runs at once.
    expect(await catchUpSlackHistory(deps, { linked: true })).toMatchObject({ ran: true, channels: 1 });
  }, 60_000);
});
