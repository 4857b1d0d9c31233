import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { findAutoLoggedChannels } from '../../src/db/channel-link.repository.ts';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import type { SlackAutoLogger, SlackMessageEvent } from './slack-auto-logger.ts';
import type { MissedMark, SlackMissedMarks } from './slack-missed-marks.ts';

export interface SlackCatchUpDeps {
  db: Database;
  redis: Redis;
  /** The deployment's Redis key prefix (RAPPORT_QUEUE_PREFIX): one catch-up at a time per deployment. */
  prefix: string;
  clientFor(teamId: string): Promise<WebClient>;
  autoLogger: Pick<SlackAutoLogger, 'handle'>;
  /** Messages whose events could not be logged, to read back; a channel that fails here is marked too. */
  marks: SlackMissedMarks;
  logger: Logger;
  /** SLACK_CATCHUP_DAYS: how far back at most. */
  maxDays: number;
  /** True once the process is stopping: the catch-up ends after the message in hand. */
  stopping?(): boolean;
}

export interface SlackCatchUpReport {
  /** Linked channels read back (the start's pass). */
  channels: number;
  /** Marked places (a channel or a thread where an event could not be logged) read back. */
  marks: number;
  /** Messages (replies included) read back from the histories and handed to the auto-logger. */
  read: number;
  /** Of those, logged now: the ones whose events never made it. */
  logged: number;
  /** Channels or threads that could not be read back now (marked: tried again later). */
  failed: number;
  /** False when another process of the deployment was catching up (nothing was done here). */
  ran: boolean;
}

/** Most messages read back per channel in one catch-up (pages of 200). */
const MAX_MESSAGES_PER_CHANNEL = 5_000;
/** How long the catch-up lock lasts without being let go (a process killed during its catch-up). */
const LOCK_MS = 120_000;

/**
 * Reads back what Slack channels said and hands every message, thread replies included, to the
 * auto-logger, as if its event had come now: messages whose events were lost (the bot down past
 * Slack's retries, killed between the ack and the write, cut off from its database) are logged; the
 * others are already there (the message key makes logging them again a no-op).
 * - `linked` (at start): every linked channel since the newest message logged there (at most `maxDays`);
 * - always: every place marked (`marks`) because an event there could not be logged, from that message on
 *   (a thread's replies for a reply), whatever was logged after it; a mark goes once it is read back.
 * A channel that cannot be read back now is marked, so the next run tries again.
 * One process of a deployment at a time (a Redis lock): the others skip (`ran` false).
 * What it cannot see: edits and deletions made while the bot was away, and replies to threads started
 * before the window that no mark names.
 */
export async function catchUpSlackHistory(
  deps: SlackCatchUpDeps,
  opts: { linked: boolean; now?: Date },
): Promise<SlackCatchUpReport> {
  const report: SlackCatchUpReport = { channels: 0, marks: 0, read: 0, logged: 0, failed: 0, ran: false };
  if (deps.maxDays <= 0) return report;
  const lock = `${deps.prefix}:slack-catch-up`;
  if ((await deps.redis.set(lock, String(process.pid), 'PX', LOCK_MS, 'NX')) !== 'OK') return report;
  report.ran = true;
  try {
    const floor = (opts.now ?? new Date()).getTime() - deps.maxDays * 86_400_000;
    const floorTs = (Math.floor(floor / 1000) - 1).toFixed(6);
    const readBack = async (mark: MissedMark) => {
      try {
        const client = await deps.clientFor(mark.teamId);
        const counts = mark.thread
          ? await catchUpThread(client, deps, mark.teamId, mark.channel, mark.thread, mark.oldest)
          : await catchUpChannel(client, deps, mark.teamId, mark.channel, mark.oldest);
        report.read += counts.read;
        report.logged += counts.logged;
        // Cut short by a stop: not read back to the end (a mark stays for the next run).
        return !deps.stopping?.();
      } catch (err) {
        report.failed++;
        const marked = await deps.marks.mark(mark);
        deps.logger.warn(
          { err: (err as Error).message, channel: `${mark.teamId}/${mark.channel}`, thread: mark.thread, marked },
          'Slack catch-up: could not read the history back now; tried again later',
        );
        return false;
      }
    };
    if (opts.linked)
      for (const c of await findAutoLoggedChannels(deps.db.sql, 'slack')) {
        if (deps.stopping?.()) break;
        const [teamId, channel] = c.channelRef.split('/');
        if (!teamId || !channel) continue;
        report.channels++;
        // From the newest logged message (itself included: its thread may have new replies), else the link.
        const since = Math.max((c.newestAt ?? c.linkedAt).getTime(), floor);
        await readBack({ teamId, channel, oldest: (Math.floor(since / 1000) - 1).toFixed(6) });
      }
    for (const mark of await deps.marks.all()) {
      if (deps.stopping?.()) break;
      report.marks++;
      const oldest = Number(mark.oldest) < Number(floorTs) ? floorTs : mark.oldest;
      if (await readBack({ ...mark, oldest })) await deps.marks.clear(mark).catch(() => undefined);
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

/** A thread's replies from `oldest` on (its parent too when Slack lists it), each handed to the auto-logger. */
async function catchUpThread(
  client: WebClient,
  deps: Pick<SlackCatchUpDeps, 'autoLogger' | 'stopping'>,
  teamId: string,
  channel: string,
  thread: string,
  oldest: string,
): Promise<{ read: number; logged: number }> {
  const replies = await pages((cursor) =>
    client.conversations.replies({ channel, ts: thread, oldest, inclusive: true, limit: 200, cursor }),
  );
  let read = 0;
  let logged = 0;
  for (const r of replies.sort((a, b) => Number(a.ts) - Number(b.ts))) {
    if (deps.stopping?.()) break;
    read++;
    const event = r.ts === thread ? r : { ...r, thread_ts: thread };
    const result = await deps.autoLogger.handle(teamId, { ...event, type: 'message', channel });
    if (result.action === 'log' && result.outcome.status === 'logged') logged++;
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
