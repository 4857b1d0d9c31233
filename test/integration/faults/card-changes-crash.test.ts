import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { RecordedMessage } from '../../helpers/slack-recorder.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';

const SECRET = 'test-signing-secret-0123456789';
const TEAM = 'T1';
const LINKED = 'CACME';
const DEFAULT = 'CTEAM'; // RAPPORT_DEFAULT_CHANNEL: where the suggestion cards go
const COMPLAINT = 'The export crashes every morning, we are unhappy and want a refund';
const EDITED = 'The export works again since the update, thanks for the quick help';

/**
 * A customer edits the message a suggestion card was made from: the suggestion is dismissed and the card
 * refreshed (Dismissed, the new words). The bot process is SIGKILLed while it writes that refresh down,
 * held there by another session's lock on the Delivery table (the statement then never runs, as one
 * that never left a killed process). Whatever it had done must be whole after a restart: the edit with
 * its dismissal and refresh, or none of them. Before, the edit and the dismissal committed first and
 * the refresh after: killed in between, the card kept quoting the old words with Accept on a dismissed
 * suggestion, for good.
 */
describe('a bot killed while it follows an edit with its card', () => {
  const slack = new SlackRecorder();
  const prefix = `{rapport-card-crash-${randomBytes(4).toString('hex')}}`;
  let dir: string;
  let scratch: { url: string; drop(): Promise<void> };
  let db: Database;
  let apiUrl: string;
  const started: SpawnedRapport[] = [];
  let url = '';

  async function startRapport(): Promise<SpawnedRapport> {
    const port = await freePort();
    const proc = spawnRapport(['start'], {
      DATABASE_URL: scratch.url,
      RAPPORT_QUEUE_PREFIX: prefix,
      RAPPORT_DATA_DIR: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      // The periodic reconcile is an hour away: nothing but the restart's own run drives lost work.
      RAPPORT_RECONCILE_SECONDS: '3600',
      LOG_LEVEL: 'warn',
    });
    started.push(proc);
    url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/readyz`, 180_000, proc);
    return proc;
  }

  let seq = 0;
  const post = async (event: Record<string, unknown>) => {
    const res = await postSignedToSlackEvents(
      url,
      SECRET,
      eventCallbackBody(TEAM, { channel_type: 'channel', team: TEAM, ...event }, `Ev${++seq}`),
      'application/json',
    );
    expect(res.status).toBe(200);
  };
  const cardIn = (ts: string): RecordedMessage | undefined =>
    slack.messages.find((m) => m.channel === DEFAULT && m.ts === ts);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rapport-card-crash-'));
    scratch = await createScratchPostgres();
    db = await openDatabase({ databaseUrl: scratch.url });
    apiUrl = await slack.start();
    slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
    slack.users.set('UJO', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.example' } });
    slack.channelMembers.set(LINKED, ['UBOT', 'UADMIN', 'UJO']);
    slack.channelMembers.set(DEFAULT, ['UBOT', 'UADMIN']);
    await db.prisma.company.create({ data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] } });
  }, 120_000);
  afterAll(async () => {
    for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(started.map((p) => p.exited));
    await db?.close();
    await scratch?.drop();
    const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
    await slack.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('killed as it writes the refresh down: after a restart the edit, its dismissal and the card are whole, or none of them happened', async () => {
    const first = await startRapport();
    const link = await postSignedToSlackEvents(
      url,
      SECRET,
      slashCommandBody({
        teamId: TEAM,
        channelId: LINKED,
        userId: 'UADMIN',
        text: 'link acme',
        triggerId: 'trigger-link',
        responseUrl: slack.responseUrl('cmd-link'),
      }),
      'application/x-www-form-urlencoded',
    );
    expect(link.status).toBe(200);
    await eventually(
      'the channel linked to Acme',
      () => db.prisma.channelLink.findFirst({ where: { platform: 'slack', companyId: { not: null } } }),
      60_000,
    );
    const ts = '1763950000.000100';
    await post({ type: 'message', channel: LINKED, user: 'UJO', ts, text: COMPLAINT });
    const card = await eventually(
      'the suggestion card in the team channel',
      async () =>
        slack.messages.find((m) => m.channel === DEFAULT && JSON.stringify(m.blocks).includes('export crashes')),
      90_000,
    );
    expect(JSON.stringify(card.blocks)).toMatch(/"Accept"/);
    // Nothing else is on its way: the card's own delivery is recorded as sent.
    await eventually('the card recorded as sent', async () =>
      (await db.prisma.delivery.count({ where: { target: `slack:${TEAM}/${DEFAULT}`, status: 'sent' } })) > 0
        ? true
        : undefined,
    );

    const locker = new pg.Client({ connectionString: scratch.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "Delivery" IN EXCLUSIVE MODE');
      await post({
        type: 'message',
        subtype: 'message_changed',
        hidden: true,
        channel: LINKED,
        ts: '1763950000.000200',
        message: { type: 'message', user: 'UJO', text: EDITED, ts, edited: { user: 'UJO', ts: '1763950060.000000' } },
        previous_message: { type: 'message', user: 'UJO', text: COMPLAINT, ts },
      });
      const blocked = await eventually(
        "the bot waiting on its write of the card's refresh",
        async () => {
          // The locker is in a transaction, where pg_stat_activity is read once and then kept.
          await locker.query('SELECT pg_stat_clear_snapshot()');
          const { rows } = await locker.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND wait_event_type = 'Lock' AND query ILIKE '%"Delivery"%'`,
          );
          return rows[0]?.pid;
        },
        60_000,
      );
      first.child.kill('SIGKILL');
      await first.exited;
      await locker.query('SELECT pg_terminate_backend($1)', [blocked]);
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }

    await startRapport();
    const message = await db.prisma.message.findUniqueOrThrow({
      where: { externalId: `slack:${TEAM}/${LINKED}/${ts}` },
    });
    const suggestion = await db.prisma.followUp.findFirstOrThrow({ where: { company: { name: 'Acme' } } });
    if (message.text === EDITED) {
      // The edit committed: its suggestion is dismissed, and the card says so and quotes the new words.
      expect(suggestion.status).toBe('dismissed');
      const now = await eventually(
        'the card refreshed to Dismissed',
        async () => {
          const c = cardIn(card.ts);
          return c?.edited && /Dismissed/.test(JSON.stringify(c)) ? c : undefined;
        },
        60_000,
      );
      expect(JSON.stringify(now.blocks)).not.toMatch(/"Accept"/);
    } else {
      // None of it committed: the suggestion still waits and its card still offers it, as it was.
      expect(message.text).toBe(COMPLAINT);
      expect(suggestion.status).toBe('suggested');
      expect(JSON.stringify(cardIn(card.ts)?.blocks)).toMatch(/"Accept"/);
    }
  }, 300_000);
});
