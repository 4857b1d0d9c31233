import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { SlackRecorder } from './slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents, slashCommandBody } from './slack-requests.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from './spawn-rapport.ts';
import { createScratchPostgres } from './test-database.ts';

export const SPAWNED_SLACK_SECRET = 'test-signing-secret-0123456789';

/** Real `rapport start` processes, one after another, on one scratch PostgreSQL, Redis prefix and data dir, with Slack as a recorder. */
export interface SpawnedSlackBots {
  slack: SlackRecorder;
  /** The test's own connection to the bots' database. */
  db: Database;
  databaseUrl: string;
  /** The bots' RAPPORT_QUEUE_PREFIX (their Redis keys start with it). */
  prefix: string;
  /** The bots' RAPPORT_DATA_DIR (one for all of them, as for processes on one machine). */
  dataDir: string;
  /** The URL of the process started last. */
  url(): string;
  /** The URL of process `proc` (one of these bots'). */
  urlOf(proc: SpawnedRapport): string;
  /** Starts a process (with `env` on top of the bots' own) and waits until it is ready. */
  start(env?: Record<string, string>): Promise<SpawnedRapport>;
  /**
   * Delivers a Slack event (a `message` in a channel unless `event` says otherwise) to process `to`, by
   * default the process started last.
   */
  event(event: Record<string, unknown>, to?: SpawnedRapport): Promise<Response>;
  /** Sends `/crm text` from `userId` in `channel` to the process started last. */
  command(channel: string, userId: string, text: string): Promise<Response>;
  /** Kills what still runs, drops the database and the Redis keys, stops the recorder. */
  dispose(): Promise<void>;
}

/**
 * Bots for tests that kill and restart the process: workspace `teamId` with the bot token, cards to
 * `defaultChannel`, `ours.example` as our domain, and `env` on top.
 */
export async function spawnedSlackBots(
  name: string,
  opts: { teamId: string; defaultChannel: string; env?: Record<string, string> },
): Promise<SpawnedSlackBots> {
  const slack = new SlackRecorder();
  const prefix = `{rapport-${name}-${randomBytes(4).toString('hex')}}`;
  const dir = mkdtempSync(join(tmpdir(), `rapport-${name}-`));
  const scratch = await createScratchPostgres();
  const db = await openDatabase({ databaseUrl: scratch.url });
  const apiUrl = await slack.start();
  const started: SpawnedRapport[] = [];
  let url = '';
  const urls = new Map<SpawnedRapport, string>();
  let seq = 0;
  return {
    slack,
    db,
    databaseUrl: scratch.url,
    prefix,
    dataDir: dir,
    url: () => url,
    urlOf(proc) {
      const at = urls.get(proc);
      if (!at) throw new Error('not a process of these bots');
      return at;
    },
    event: (event, to) =>
      postSignedToSlackEvents(
        to ? urls.get(to)! : url,
        SPAWNED_SLACK_SECRET,
        eventCallbackBody(
          opts.teamId,
          { type: 'message', channel_type: 'channel', team: opts.teamId, ...event },
          `Ev${++seq}`,
        ),
        'application/json',
      ),
    command: (channel, userId, text) =>
      postSignedToSlackEvents(
        url,
        SPAWNED_SLACK_SECRET,
        slashCommandBody({
          teamId: opts.teamId,
          channelId: channel,
          userId,
          text,
          triggerId: `trigger-${++seq}`,
          responseUrl: slack.responseUrl(`cmd-${seq}`),
        }),
        'application/x-www-form-urlencoded',
      ),
    async start(env) {
      const port = await freePort();
      const proc = spawnRapport(['start'], {
        DATABASE_URL: scratch.url,
        RAPPORT_QUEUE_PREFIX: prefix,
        RAPPORT_DATA_DIR: dir,
        PORT: String(port),
        HOST: '127.0.0.1',
        RAPPORT_DEFAULT_CHANNEL: `slack:${opts.teamId}/${opts.defaultChannel}`,
        SLACK_SIGNING_SECRET: SPAWNED_SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_API_URL: apiUrl,
        RAPPORT_INTERNAL_DOMAINS: 'ours.example',
        LOG_LEVEL: 'warn',
        ...opts.env,
        ...env,
      });
      started.push(proc);
      url = `http://127.0.0.1:${port}`;
      urls.set(proc, url);
      await waitForHttp(`${url}/readyz`, 180_000, proc);
      return proc;
    },
    async dispose() {
      for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(started.map((p) => p.exited));
      await db.close();
      await scratch.drop();
      const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      const left = await redis.keys(`${prefix}*`);
      if (left.length > 0) await redis.del(...left);
      await redis.quit();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Two processes of `bots` behind one load balancer (one database, one Redis prefix), A started first:
 * what one hears (an event, a webhook) the other must learn through Redis.
 */
export async function twoBots(bots: SpawnedSlackBots): Promise<{ a: SpawnedRapport; b: SpawnedRapport }> {
  const a = await bots.start();
  const b = await bots.start();
  return { a, b };
}

/**
 * The usual cast of a customer-channel test: customer Acme (acme.example) in the bots' database, our admin
 * UADMIN (ann@ours.example) in both channels, Acme's guest UJO (jo@acme.example) in `customerChannel` only.
 */
export async function castAcme(bots: SpawnedSlackBots, customerChannel: string, teamChannel: string): Promise<void> {
  const { slack } = bots;
  slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'ann', email: 'ann@ours.example' } });
  slack.users.set('UJO', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.example' } });
  slack.channelMembers.set(customerChannel, ['UBOT', 'UADMIN', 'UJO']);
  slack.channelMembers.set(teamChannel, ['UBOT', 'UADMIN']);
  await bots.db.prisma.company.create({ data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] } });
}
