import { randomUUID } from 'node:crypto';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { DeliveryError } from '../chat-connector.ts';
import { toDeliveryError } from './slack-delivery-error.ts';
import type { Redis } from 'ioredis';
import { findAutoLoggedChannels, findRecentUnlinkedChannels } from '../../src/db/channel-link.repository.ts';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import { isDatabaseUnavailableError } from '../../src/db/sql-errors.ts';
import { RapportError } from '../../src/errors.ts';
import { redisNow } from '../../src/redis/redis-clock.ts';
import type { SlackAutoLogger, SlackMessageEvent } from './slack-auto-logger.ts';
import { type MissedMark, SLACK_FAILING_MAX_WAIT_MS, type SlackMissedMarks } from './slack-missed-marks.ts';

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
  /** How long the catch-up lock lasts unless renewed (default 2 minutes). */
  lockMs?: number;
}

export interface SlackCatchUpReport {
  /** Channels read back by the start's pass (linked ones, and Slack Connect ones logged within the window). */
  channels: number;
  /** Marked places (a channel or a thread where an event could not be logged) read back. */
  marks: number;
  /** Messages (replies included) read back from the histories and handed to the auto-logger. */
  read: number;
  /** Of those, logged now: the ones whose events never made it. */
  logged: number;
  /** Logged messages edited (or deleted thread parents) meanwhile, changed now. */
  changed: number;
  /** Channels or threads that could not be read back now (marked: tried again later). */
  failed: number;
  /**
   * Messages read back that could not be logged for a reason other than the database being away: each
   * marked alone (read back by itself at the next checks); the messages after them were handed on.
   */
  refused: number;
  /** False when another process of the deployment was catching up (nothing was done here). */
  ran: boolean;
}

/**
 * Most messages handed to the auto-logger per channel in one catch-up, the oldest first; a channel with
 * more since its mark is read on from the first one not handed at the next check.
 */
const MAX_MESSAGES_PER_CHANNEL = 5_000;
/** Most messages of one channel's history fetched in one catch-up (Slack lists them newest first). */
const MAX_FETCHED_PER_CHANNEL = 100_000;
/** Lets the catch-up lock go if this run still holds it. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the catch-up lock if this run still holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/**
 * How long the catch-up lock lasts unless its holder renews it (every third of that while it reads):
 * a process killed or frozen during its catch-up holds it this long at most.
 */
const LOCK_MS = 120_000;

/**
 * Reads back what Slack channels said and hands every message, thread replies included, to the
 * auto-logger, as if its event had come now: messages whose events were lost (the bot down past
 * Slack's retries, killed between the ack and the write, cut off from its database) are logged; the
 * others are already there (the message key makes logging them again a no-op).
 * - `linked` (at start): every linked channel since the newest message logged there (at most `maxDays`),
 *   and every Slack Connect channel auto-logged without a link that has a message logged in that window;
 * - always: every place marked (`marks`) because an event there could not be logged, from that message on
 *   (a thread's replies for a reply), whatever was logged after it; a mark goes once it is read back.
 * A channel that cannot be read back now is marked, so the next run tries again; one Slack refuses for
 * good (the bot removed from it, the token revoked) is not.
 * One process of a deployment at a time (a Redis lock): the others skip (`ran` false); a start's pass
 * that ran to its end is noted in Redis ({@link lastLinkedPassAt}).
 * Messages read back that were edited since (or thread parents deleted, their tombstones) are changed
 * to what they are now; a deletion Slack sent that could not be applied is applied (its mark says which:
 * a history does not list deletions, but for thread parents). What it cannot see: edits of messages older
 * than what it reads back, deletions whose events never reached the bot (Slack gave up sending them),
 * replies to threads started before the window that no mark names, and Slack Connect channels where
 * nothing was logged within the window.
 */
export async function catchUpSlackHistory(
  deps: SlackCatchUpDeps,
  opts: { linked: boolean; now?: Date },
): Promise<SlackCatchUpReport> {
  const report: SlackCatchUpReport = {
    channels: 0,
    marks: 0,
    read: 0,
    logged: 0,
    changed: 0,
    failed: 0,
    refused: 0,
    ran: false,
  };
  if (deps.maxDays <= 0) return report;
  const lock = catchUpLockKey(deps.prefix);
  const token = `${process.pid}:${randomUUID()}`;
  const lockMs = deps.lockMs ?? LOCK_MS;
  if ((await deps.redis.set(lock, token, 'PX', lockMs, 'NX')) !== 'OK') return report;
  report.ran = true;
  // A pass over hundreds of channels under Slack's rate limits outlasts the lock: renewed while it reads,
  // so another process starting meanwhile (a rolling deploy) does not read everything again beside it.
  const renewal = setInterval(() => {
    deps.redis.eval(RENEW, 1, lock, token, lockMs).catch(() => undefined);
  }, lockMs / 3);
  renewal.unref();
  try {
    const floor = (opts.now ?? new Date()).getTime() - deps.maxDays * 86_400_000;
    const floorTs = (Math.floor(floor / 1000) - 1).toFixed(6);
    /**
     * The marks this pass reads back, once read (none during the start's pass over the channels): a miss
     * the pass notes itself in one of their places is its own try, not a new miss there (see
     * {@link SlackMissedMarks.mark}).
     */
    let read: MissedMark[] = [];
    /**
     * Applies a deletion Slack sent that could not be applied then (see {@link MissedMark.deleted}); true
     * when its mark can go. The database away is tried again at the next check; any other failure later
     * and later, as a message marked alone.
     */
    const applyDeletion = async (mark: MissedMark): Promise<boolean> => {
      try {
        const result = await deps.autoLogger.handle(mark.teamId, {
          type: 'message',
          subtype: 'message_deleted',
          channel: mark.channel,
          deleted_ts: mark.oldest,
        });
        if (result.action === 'delete' && result.outcome.status === 'deleted') report.changed++;
        return true;
      } catch (err) {
        if (isDatabaseUnavailableError(err)) throw err;
        report.refused++;
        const later = await deps.marks.defer(mark);
        deps.logger.error(
          { err: (err as Error).message, channel: `${mark.teamId}/${mark.channel}`, ts: mark.oldest, ...later },
          'Slack catch-up: a deletion Slack sent still cannot be applied; tried again later',
        );
        return false;
      }
    };
    /**
     * Reads a place back from `oldest` (its mark's, or the window's start when the mark is older); true
     * when its mark can go (read to the end, or Slack refuses it for good).
     */
    const readBack = async (mark: MissedMark, oldest = mark.oldest): Promise<boolean> => {
      try {
        if (mark.deleted) return await applyDeletion(mark);
        const client = await deps.clientFor(mark.teamId);
        const counts = mark.only
          ? await catchUpOne(client, deps, { ...mark, oldest })
          : mark.thread
            ? await catchUpThread(client, deps, mark.teamId, mark.channel, mark.thread, oldest)
            : await catchUpChannel(client, deps, mark.teamId, mark.channel, oldest);
        report.read += counts.read;
        report.logged += counts.logged;
        report.changed += counts.changed;
        if (mark.only && counts.refused.length > 0) {
          // The message marked alone failed again: its mark stays, and its next try waits longer.
          report.refused++;
          const later = await deps.marks.defer(mark);
          deps.logger.warn(
            { channel: `${mark.teamId}/${mark.channel}`, ts: mark.oldest, thread: mark.thread, ...later },
            'Slack catch-up: a message marked alone still cannot be logged; tried again later',
          );
          return false;
        }
        // Threads the bound cut are marked first, whatever comes next: a kill leaves them marked.
        for (const t of counts.threads) await deps.marks.mark(t, read);
        if (counts.resumeAt || counts.refused.length > 0) {
          // Not read to the end: more than one catch-up hands on (the place is read on from the first message
          // not handed), or messages it could not log (each marked alone, so the next checks read them back
          // one by one, not the place from `oldest` on). Those are marked first, then the place's mark moves
          // on (or goes) in one step, so a process killed in between leaves nothing unmarked; a stop that cut
          // the read short leaves it marked from `oldest`.
          report.refused += counts.refused.length;
          for (const r of counts.refused) await deps.marks.mark(r, read);
          if (deps.stopping?.()) return false;
          if (counts.resumeAt) await deps.marks.moveOn(mark, counts.resumeAt);
          else await deps.marks.clear(mark);
          return false;
        }
        // Cut short by a stop: not read back to the end (a mark stays for the next run).
        return !deps.stopping?.();
      } catch (err) {
        report.failed++;
        const where = { channel: `${mark.teamId}/${mark.channel}`, thread: mark.thread };
        if (slackRefusesForGood(err)) {
          // Not in the channel any more, the token revoked...: asking every 30 s would not change it.
          deps.logger.warn(
            { err: (err as Error).message, ...where },
            'Slack catch-up: Slack refuses to show this history; messages missed there stay missing',
          );
          return true;
        }
        // Slack failing to show it (5xx, rate limits, timeouts) is tried less and less often while it
        // lasts, at least every five minutes; the database being away is tried at each check, so what it
        // missed is logged soon after. Put off before it is marked again: the defer of a mark read back
        // holds only if no miss came there since it was read, and this mark counts as one.
        const later = slackApiError(err) ? await deps.marks.defer(mark, SLACK_FAILING_MAX_WAIT_MS) : undefined;
        const marked = await deps.marks.mark(mark);
        deps.logger.warn(
          { err: (err as Error).message, ...where, marked, ...later },
          'Slack catch-up: could not read the history back now; tried again later',
        );
        return false;
      }
    };
    if (opts.linked) {
      // Redis's clock, not this machine's: processes on other machines compare their start with it.
      const began = await redisNow(deps.redis);
      // Linked channels, and Slack Connect channels logged by their sharing (no link) within the window.
      const channels = [
        ...(await findAutoLoggedChannels(deps.db.sql, 'slack')).map((c) => ({
          channelRef: c.channelRef,
          from: (c.newestAt ?? c.linkedAt).getTime(),
        })),
        ...(await findRecentUnlinkedChannels(deps.db.sql, 'slack', new Date(floor))).map((c) => ({
          channelRef: c.channelRef,
          from: c.newestAt.getTime(),
        })),
      ];
      for (const c of channels) {
        if (deps.stopping?.()) break;
        const [teamId, channel] = c.channelRef.split('/');
        if (!teamId || !channel) continue;
        report.channels++;
        // From the newest logged message (itself included: its thread may have new replies), else the link.
        const since = Math.max(c.from, floor);
        await readBack({ teamId, channel, oldest: (Math.floor(since / 1000) - 1).toFixed(6) });
      }
      // Every channel was read back (or marked) from a moment after `began`: a process that started
      // before that need not read them again.
      if (!deps.stopping?.()) await deps.redis.set(linkedPassKey(deps.prefix), String(began));
    }
    read = await deps.marks.due();
    for (const mark of read) {
      if (deps.stopping?.()) break;
      report.marks++;
      // Not further back than the window (a message marked alone older than it is not found: its mark goes).
      // A deletion is applied however old its message (no history is read for it).
      const oldest = !mark.deleted && Number(mark.oldest) < Number(floorTs) ? floorTs : mark.oldest;
      if (await readBack(mark, oldest)) await deps.marks.clear(mark).catch(() => undefined);
    }
  } finally {
    clearInterval(renewal);
    // Only our own: had a renewal failed (Redis away), another process may hold it now.
    await deps.redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
  }
  return report;
}

interface HistoryMessage extends Omit<SlackMessageEvent, 'type' | 'channel'> {
  reply_count?: number;
  latest_reply?: string;
  /** Set on a message edited since it was written (the history holds its words as they are now). */
  edited?: { user?: string; ts?: string };
}

interface ReadBackCounts {
  read: number;
  logged: number;
  /** Logged messages whose words were changed to the edited ones, or deleted (a thread parent's tombstone). */
  changed: number;
  /** Where messages sit that could not be logged (not for the database being away): to mark. */
  refused: MissedMark[];
  /** The ts of the first message not handed (the per-place bound): read on from it next time. */
  resumeAt?: string;
  /** Threads the bound cut (more replies than it hands at once): each marked from its first reply not handed. */
  threads: MissedMark[];
}

/**
 * Hands messages read back from a history to the auto-logger, oldest first: each as if its event had
 * come now (logged unless it is already), then, for one edited since (or a deleted thread parent's
 * tombstone), as its `message_changed` event: a logged message takes the words it has now (an edit
 * older than the last one applied, or the same words, changes nothing).
 */
class HistoryReader {
  readonly counts: ReadBackCounts = { read: 0, logged: 0, changed: 0, refused: [], threads: [] };

  constructor(
    private readonly deps: Pick<SlackCatchUpDeps, 'autoLogger' | 'stopping' | 'logger'>,
    private readonly teamId: string,
    private readonly channel: string,
  ) {}

  /** False once the catch-up should stop reading (a stop, or the per-channel bound). */
  get open(): boolean {
    return this.counts.read < MAX_MESSAGES_PER_CHANNEL && !this.deps.stopping?.();
  }

  /**
   * Logs one message read back. The database away ends the read-back (every message would fail: the
   * place stays marked); any other failure (a message the bot cannot log yet) is marked at that message
   * and the read-back goes on, so one such message does not keep the ones after it unlogged.
   */
  async hand(m: HistoryMessage): Promise<void> {
    this.counts.read++;
    try {
      await this.log(m);
    } catch (err) {
      if (isDatabaseUnavailableError(err) || !m.ts) throw err;
      const { teamId, channel } = this;
      const thread = m.thread_ts && m.thread_ts !== m.ts ? m.thread_ts : undefined;
      const where = { channel: `${teamId}/${channel}`, ts: m.ts, thread };
      if (err instanceof RapportError) {
        // A decision, as for a live event: not tried again.
        this.deps.logger.warn({ err: err.message, ...where }, 'Slack catch-up: a message read back was not logged');
        return;
      }
      this.counts.refused.push({ teamId, channel, ...(thread ? { thread } : {}), oldest: m.ts, only: true });
      this.deps.logger.error(
        { err: (err as Error).message, ...where },
        'Slack catch-up: a message read back could not be logged; marked to be tried again, the messages after it go on',
      );
    }
  }

  private async log(m: HistoryMessage): Promise<void> {
    const { teamId, channel } = this;
    const result = await this.deps.autoLogger.handle(teamId, { ...m, type: 'message', channel });
    if (result.action === 'log' && result.outcome.status === 'logged') this.counts.logged++;
    if (!m.edited?.ts && m.subtype !== 'tombstone') return;
    const change = await this.deps.autoLogger.handle(teamId, {
      type: 'message',
      subtype: 'message_changed',
      channel,
      message: { ...m, type: 'message', channel },
      event_ts: m.edited?.ts ?? m.ts,
    });
    if (
      (change.action === 'edit' && change.outcome.status === 'updated') ||
      (change.action === 'delete' && change.outcome.status === 'deleted')
    )
      this.counts.changed++;
  }
}

async function catchUpChannel(
  client: WebClient,
  deps: Pick<SlackCatchUpDeps, 'autoLogger' | 'stopping' | 'logger'>,
  teamId: string,
  channel: string,
  oldest: string,
): Promise<ReadBackCounts> {
  // Slack lists a history newest first: all of it since `oldest`, so that the bound below keeps the
  // oldest messages (the missed ones), not the newest.
  const { messages } = await pages(
    (cursor) => client.conversations.history({ channel, oldest, inclusive: true, limit: 200, cursor }),
    MAX_FETCHED_PER_CHANNEL,
  );
  // Oldest first, as they were written; each thread's replies after its parent.
  messages.sort((a, b) => Number(a.ts) - Number(b.ts));
  const reader = new HistoryReader(deps, teamId, channel);
  for (const [i, m] of messages.entries()) {
    if (!reader.open) {
      reader.counts.resumeAt = m.ts;
      break;
    }
    await reader.hand(m);
    if (!m.ts || !m.reply_count || Number(m.latest_reply ?? 0) < Number(oldest)) continue;
    const thread = m.ts;
    const { replies, more } = await threadReplies(client, channel, thread, oldest);
    const cut = await handReplies(reader, replies, more, thread);
    // Cut inside this thread (more replies than the bound): the thread is marked from its first reply
    // not handed, the channel read on from the message after its parent. Read on from the parent, a
    // thread of more replies than the bound would be read up to the same reply at every check.
    if (cut) {
      if (!deps.stopping?.()) reader.counts.threads.push({ teamId, channel, thread, oldest: cut });
      const next = messages[i + 1]?.ts;
      if (next) reader.counts.resumeAt = next;
      break;
    }
  }
  // Cut by a stop, not the bound: the place's mark stays as it was.
  if (deps.stopping?.()) delete reader.counts.resumeAt;
  return reader.counts;
}

/** A thread's replies from `oldest` on (its parent too when Slack lists it), each handed to the auto-logger. */
async function catchUpThread(
  client: WebClient,
  deps: Pick<SlackCatchUpDeps, 'autoLogger' | 'stopping' | 'logger'>,
  teamId: string,
  channel: string,
  thread: string,
  oldest: string,
): Promise<ReadBackCounts> {
  const { parent, replies, more } = await threadReplies(client, channel, thread, oldest);
  const reader = new HistoryReader(deps, teamId, channel);
  if (parent) await reader.hand(parent);
  // Cut by the bound: read on from the first reply not handed.
  const cut = await handReplies(reader, replies, more, thread);
  if (cut && !deps.stopping?.()) reader.counts.resumeAt = cut;
  return reader.counts;
}

/**
 * Hands a thread's replies, oldest first, while the reader is open: the ts to read on from when it did not
 * hand them all (the first not handed; the last handed when there are `more` than were fetched: handing a
 * logged message again changes nothing).
 */
async function handReplies(
  reader: HistoryReader,
  replies: HistoryMessage[],
  more: boolean,
  thread: string,
): Promise<string | undefined> {
  for (const r of replies) {
    if (!reader.open) return r.ts;
    await reader.hand({ ...r, thread_ts: thread });
  }
  return more ? replies.at(-1)?.ts : undefined;
}

/**
 * The one message a mark names ({@link MissedMark.only}), without its replies: Slack's way to fetch a
 * message, the history (or the thread) from and up to its ts. Not listed any more (deleted): nothing.
 */
async function catchUpOne(
  client: WebClient,
  deps: Pick<SlackCatchUpDeps, 'autoLogger' | 'stopping' | 'logger'>,
  mark: MissedMark,
): Promise<ReadBackCounts> {
  const around = { channel: mark.channel, oldest: mark.oldest, latest: mark.oldest, inclusive: true };
  // No limit in a thread: its parent may come first whatever the range.
  const page = mark.thread
    ? await client.conversations.replies({ ...around, ts: mark.thread })
    : await client.conversations.history({ ...around, limit: 1 });
  const reader = new HistoryReader(deps, mark.teamId, mark.channel);
  const m = ((page.messages ?? []) as HistoryMessage[]).find((x) => x.ts === mark.oldest);
  if (m) await reader.hand(mark.thread ? { ...m, thread_ts: mark.thread } : m);
  return reader.counts;
}

/**
 * Every page of a cursor-paged Web API list of messages, up to `max` (a thread's: MAX_MESSAGES_PER_CHANNEL);
 * `more` when the list went on past it.
 */
async function pages(
  call: (cursor: string | undefined) => Promise<{ messages?: unknown[]; response_metadata?: { next_cursor?: string } }>,
  max = MAX_MESSAGES_PER_CHANNEL,
): Promise<{ messages: HistoryMessage[]; more: boolean }> {
  const all: HistoryMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(cursor);
    all.push(...((page.messages ?? []) as HistoryMessage[]));
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor && all.length < max);
  return { messages: all, more: cursor !== undefined };
}

/**
 * A thread's parent (when Slack lists it) and its replies from `oldest` on, oldest first, up to the bound;
 * `more` when there are replies past them.
 */
async function threadReplies(
  client: WebClient,
  channel: string,
  thread: string,
  oldest: string,
): Promise<{ parent?: HistoryMessage; replies: HistoryMessage[]; more: boolean }> {
  const { messages, more } = await pages((cursor) =>
    client.conversations.replies({ channel, ts: thread, oldest, inclusive: true, limit: 200, cursor }),
  );
  return {
    parent: messages.find((r) => r.ts === thread),
    replies: messages.filter((r) => r.ts !== thread).sort((a, b) => Number(a.ts) - Number(b.ts)),
    more,
  };
}

/** An error of the Slack Web API client (an answer Slack gave, or none), not of the database. */
function slackApiError(err: unknown): boolean {
  return (Object.values(ErrorCode) as unknown[]).includes((err as { code?: unknown }).code);
}

/**
 * A refusal that asking again will not change: Rapport not installed in the workspace (uninstalled: no
 * token to ask with), or a Web API refusal (auth, a channel gone or closed to the bot, a bad request).
 */
function slackRefusesForGood(err: unknown): boolean {
  if (err instanceof DeliveryError) return err.code === 'auth' || err.code === 'not_found';
  const code = (err as { code?: string }).code;
  if (code !== ErrorCode.PlatformError && code !== ErrorCode.HTTPError) return false;
  return ['auth', 'not_found', 'unknown'].includes(toDeliveryError(err).code);
}

/**
 * When the last start's pass over the channels that ran to its end began, in any process of the
 * deployment, by Redis's clock (0: never, or Redis away): whatever was missed before then has been read
 * back.
 */
export async function lastLinkedPassAt(redis: Redis, prefix: string): Promise<number> {
  return Number((await redis.get(linkedPassKey(prefix)).catch(() => null)) ?? 0);
}

/** The Redis key of the lock one catch-up pass at a time holds (per prefix: per deployment). */
function catchUpLockKey(prefix: string): string {
  return `${prefix}:slack-catch-up`;
}

/** The Redis key noting when the last pass over the linked channels that ran to its end began (Redis's clock). */
function linkedPassKey(prefix: string): string {
  return `${catchUpLockKey(prefix)}:linked-at`;
}
