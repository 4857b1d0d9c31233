import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { findAutoLoggedChannels } from '../../src/db/channel-link.repository.ts';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import type { SlackAutoLogger, SlackMessageEvent } from './slack-auto-logger.ts';

export interface SlackCatchUpDeps {
  db: Database;
  redis: Redis;
  /** The deployment's Redis key prefix (RAPPORT_QUEUE_PREFIX): one catch-up at a time per deployment. */
  prefix: string;
  clientFor(teamId: string): Promise<WebClient>;
  autoLogger: Pick<SlackAutoLogger, 'handle'>;
  logger: Logger;
  /** SLACK_CATCHUP_DAYS: how far back at most. */
  maxDays: number;
  /** True once the process is stopping: the catch-up ends after the message in hand. */
  stopping?(): boolean;
}

export interface SlackCatchUpReport {
  channels: number;
  /** Messages (replies included) read back from the histories and handed to the auto-logger. */
  read: number;
  /** Of those, logged now: the ones whose events never made it. */
  logged: number;
  /** Channels whose history could not be read (not in the channel any more, token revoked...). */
  failed: number;
}

/** Most messages read back per channel in one catch-up (pages of 200). */
const MAX_MESSAGES_PER_CHANNEL = 5_000;
/** How long the catch-up lock lasts without being let go (a process killed during its catch-up). */
const LOCK_MS = 120_000;

/**
 * Reads back what linked Slack channels said since the newest message logged there (at most `maxDays`)
 * and hands every message, thread replies included, to the auto-logger, as if its event had come now:
 * messages whose events were lost (the bot down past Slack's retries, killed between the ack and the
 * write, cut off from its database) are logged; the others are already there (the message key makes
 * logging them again a no-op). One process of a deployment at a time (a Redis lock): the others skip.
 * What it cannot see: edits and deletions made while the bot was away, and replies to threads started
 * before the window.
 */
export async function catchUpSlackHistory(deps: SlackCatchUpDeps, now = new Date()): Promise<SlackCatchUpReport> {
  const report: SlackCatchUpReport = { channels: 0, read: 0, logged: 0, failed: 0 };
  if (deps.maxDays <= 0) return report;
  const lock = `${deps.prefix}:slack-catch-up`;
  if ((await deps.redis.set(lock, String(process.pid), 'PX', LOCK_MS, 'NX')) !== 'OK') return report;
  try {
    const floor = now.getTime() - deps.maxDays * 86_400_000;
    for (const c of await findAutoLoggedChannels(deps.db.sql, 'slack')) {
      if (deps.stopping?.()) break;
      const [teamId, channel] = c.channelRef.split('/');
      if (!teamId || !channel) continue;
      report.channels++;
      // From the newest logged message (itself included: its thread may have new replies), else the link.
      const since = Math.max((c.newestAt ?? c.linkedAt).getTime(), floor);
      const oldest = (Math.floor(since / 1000) - 1).toFixed(6);
      try {
        const client = await deps.clientFor(teamId);
        const counts = await catchUpChannel(client, deps, teamId, channel, oldest);
        report.read += counts.read;
        report.logged += counts.logged;
      } catch (err) {
        report.failed++;
        deps.logger.warn(
          { err: (err as Error).message, channel: c.channelRef },
          'Slack catch-up: could not read the channel history; messages missed there stay missing until the next start',
        );
      }
    }
  } finally {
    await deps.redis.del(lock).catch(() => undefined);
  }
  return report;
}

interface HistoryMessage extends Omit<SlackMessageEvent, 'type' | 'channel'> {
  reply_count?: number;
  latest_reply?: string;
}

async function catchUpChannel(
  client: WebClient,
  deps: Pick<SlackCatchUpDeps, 'autoLogger' | 'stopping'>,
  teamId: string,
  channel: string,
  oldest: string,
): Promise<{ read: number; logged: number }> {
  const messages = await pages((cursor) =>
    client.conversations.history({ channel, oldest, inclusive: true, limit: 200, cursor }),
  );
  // Oldest first, as they were written; each thread's replies after its parent.
  messages.sort((a, b) => Number(a.ts) - Number(b.ts));
  let read = 0;
  let logged = 0;
  const handle = async (m: HistoryMessage) => {
    read++;
    const result = await deps.autoLogger.handle(teamId, { ...m, type: 'message', channel });
    if (result.action === 'log' && result.outcome.status === 'logged') logged++;
  };
  for (const m of messages) {
    if (read >= MAX_MESSAGES_PER_CHANNEL || deps.stopping?.()) break;
    await handle(m);
    if (!m.ts || !m.reply_count || Number(m.latest_reply ?? 0) < Number(oldest)) continue;
    const thread = m.ts;
    const replies = await pages((cursor) =>
      client.conversations.replies({ channel, ts: thread, oldest, inclusive: true, limit: 200, cursor }),
    );
    for (const r of replies.sort((a, b) => Number(a.ts) - Number(b.ts)))
      if (r.ts !== thread && read < MAX_MESSAGES_PER_CHANNEL) await handle({ ...r, thread_ts: thread });
  }
  return { read, logged };
}

/** Every page of a cursor-paged Web API list of messages, up to MAX_MESSAGES_PER_CHANNEL. */
async function pages(
  call: (cursor: string | undefined) => Promise<{ messages?: unknown[]; response_metadata?: { next_cursor?: string } }>,
): Promise<HistoryMessage[]> {
  const all: HistoryMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(cursor);
    all.push(...((page.messages ?? []) as HistoryMessage[]));
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor && all.length < MAX_MESSAGES_PER_CHANNEL);
  return all;
}
