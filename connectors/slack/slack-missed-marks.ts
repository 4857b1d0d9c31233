import type { Redis } from 'ioredis';
import { redisNow } from '../../src/redis/redis-clock.ts';
import type { SlackMissedSpool } from './slack-missed-spool.ts';

/** The first tries of a mark that keeps failing are at every check; then the wait doubles, up to an hour. */
const TRIES_AT_ONCE = 3;
const FIRST_WAIT_MS = 30_000;
const MAX_WAIT_MS = 3_600_000;

/**
 * How long after its `tries`-th failed try a mark is tried again (a message marked alone the bot cannot
 * log, a place whose history Slack keeps failing to show): 30 s for the first three (a failover, a
 * deploy, a short Slack incident), then 1, 2, 4... minutes, at most an hour (a message the bot cannot log
 * for days costs a call and a log line an hour, not every 30 s).
 */
export function retryWaitMs(tries: number): number {
  return Math.min(FIRST_WAIT_MS * 2 ** Math.max(0, tries - TRIES_AT_ONCE), MAX_WAIT_MS);
}

/**
 * Where a Slack message whose event could not be logged sits, for the catch-up to read it back from
 * Slack: a channel's history from `oldest` on, or (`thread`) one thread's replies from `oldest` on.
 */
export interface MissedMark {
  teamId: string;
  channel: string;
  /** A thread's ts: the message was a reply there (a channel's history does not list replies). */
  thread?: string;
  /** The ts to read back from (the missed message's own, inclusive). */
  oldest: string;
  /**
   * Just the message at `oldest`: one a read-back could not log, after which it read the place on. Each
   * is a mark of its own, read back alone.
   */
  only?: boolean;
}

/**
 * Where a new mark is kept: in Redis (for every process); on this machine's disk too while Redis is away
 * (RAPPORT_DATA_DIR, until Redis is back); or, when the disk refuses too, in this process alone.
 */
export type MarkKept = 'redis' | 'disk' | 'process';

/** Keeps the lower ts of the two (a second miss in the same place further back widens the read). */
const MARK = `local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or tonumber(ARGV[2]) < tonumber(v) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`;
/**
 * Deletes a mark only when it is still the one read back (a miss further back since then stays), and with
 * it the count of its tries and its next one (a message marked alone).
 */
const CLEAR = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`;

/**
 * The deployment's marks of missed Slack messages, in a Redis hash (RAPPORT_QUEUE_PREFIX): written by the
 * process whose write failed after Slack's ack, read by whichever process catches up next (this one a
 * little later, any process's periodic check, or the next start). Kept in this process too, so a miss
 * during a Redis outage is still read back while the process runs, and written to Redis once it is back;
 * and meanwhile in the spool on disk, so that a process killed before Redis is back leaves its marks to
 * the next process of its data dir that reaches Redis.
 */
export class SlackMissedMarks {
  private readonly key: string;
  /** Marks that failed again (see {@link defer}): field -> "tries:due" (ms, Redis's clock). */
  private readonly laterKey: string;
  private readonly local = new Map<string, string>();
  /** Fields of marks made while Redis was away: written to it once it answers again. */
  private readonly unsaved = new Set<string>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly spool?: SlackMissedSpool,
  ) {
    this.key = `${prefix}:slack-missed`;
    this.laterKey = `${prefix}:slack-missed-later`;
  }

  /** Marks a place to read back, and says where the mark is kept. */
  async mark(m: MissedMark): Promise<MarkKept> {
    const field = fieldOf(m);
    const known = this.local.get(field);
    if (known === undefined || Number(m.oldest) < Number(known)) this.local.set(field, m.oldest);
    try {
      await this.redis.eval(MARK, 1, this.key, field, m.oldest);
      return 'redis';
    } catch {
      this.unsaved.add(field);
      return (await this.spoolUnsaved()) ? 'disk' : 'process';
    }
  }

  /** Writes the unsaved marks to the spool as they are now; false when there is none or the disk refuses. */
  private async spoolUnsaved(): Promise<boolean> {
    if (!this.spool) return false;
    const marks = new Map<string, string>();
    for (const field of this.unsaved) {
      const oldest = this.local.get(field);
      if (oldest !== undefined) marks.set(field, oldest);
    }
    try {
      await this.spool.save(marks);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Writes the marks made while Redis was away to it (their earliest ts), so that another process
   * reads them back should this one stop first, then those the spool holds (this process's earlier
   * runs', other processes' of the data dir), and lets the spool go. Throws while Redis is still away.
   */
  private async saveUnsaved(): Promise<void> {
    if (this.unsaved.size > 0) {
      for (const field of [...this.unsaved]) {
        const oldest = this.local.get(field);
        if (oldest !== undefined) await this.redis.eval(MARK, 1, this.key, field, oldest);
        this.unsaved.delete(field);
      }
      await this.spoolUnsaved();
    }
    if (!this.spool) return;
    // Only once Redis answers (this throws while it is away): taken with Redis away, the files (this
    // process's own too) would sit renamed until the next take, for nothing.
    await this.redis.ping();
    const spooled = await this.spool.take().catch(() => undefined);
    if (!spooled) return;
    for (const [field, oldest] of spooled.marks)
      if (markOf(field, oldest)) await this.redis.eval(MARK, 1, this.key, field, oldest);
    await spooled.done();
  }

  /** Every mark, this process's and the deployment's (the lower ts where both have one). */
  async all(): Promise<MissedMark[]> {
    const merged = new Map(this.local);
    try {
      await this.saveUnsaved();
      for (const [field, oldest] of Object.entries(await this.redis.hgetall(this.key))) {
        const mine = merged.get(field);
        if (mine === undefined || Number(oldest) < Number(mine)) merged.set(field, oldest);
      }
    } catch {
      // Redis away: this process's marks are all it can read back now.
    }
    return [...merged].flatMap(([field, oldest]) => {
      const mark = markOf(field, oldest);
      return mark ? [mark] : [];
    });
  }

  /**
   * The marks to read back now: all but those whose next try is not due yet (see {@link defer}; with
   * Redis away, all of this process's).
   */
  async due(): Promise<MissedMark[]> {
    const marks = await this.all();
    let later: Record<string, string>;
    let now: number;
    try {
      [later, now] = await Promise.all([this.redis.hgetall(this.laterKey), redisNow(this.redis)]);
    } catch {
      return marks;
    }
    return marks.filter((m) => {
      const due = later[fieldOf(m)]?.split(':')[1];
      return due === undefined || Number(due) <= now;
    });
  }

  /**
   * A mark failed again (a message marked alone still cannot be logged; Slack failed to show the place's
   * history): its next try waits ({@link retryWaitMs}). The tries are counted until its mark is cleared
   * or a new miss there comes ({@link retryNow}). Undefined with Redis away (then it is tried at every
   * check).
   */
  async defer(m: MissedMark): Promise<{ tries: number; waitMs: number } | undefined> {
    const field = fieldOf(m);
    try {
      // Read, then written: only a catch-up pass calls it, under the deployment's catch-up lock.
      const [before, now] = await Promise.all([this.redis.hget(this.laterKey, field), redisNow(this.redis)]);
      const tries = (Number(before?.split(':')[0]) || 0) + 1;
      const waitMs = retryWaitMs(tries);
      await this.redis.hset(this.laterKey, field, `${tries}:${now + waitMs}`);
      return { tries, waitMs };
    } catch {
      return undefined;
    }
  }

  /**
   * A new miss in a place whose tries wait (see {@link defer}): it is read back at the next check again,
   * its tries counted from the start. Best effort (with Redis away every mark is tried at each check).
   */
  async retryNow(m: MissedMark): Promise<void> {
    await this.redis.hdel(this.laterKey, fieldOf(m)).catch(() => undefined);
  }

  /**
   * Whether there is anything to read back (cheap: for the periodic check, which is also when marks made
   * while Redis was away are written to it once it is back).
   */
  async any(): Promise<boolean> {
    await this.saveUnsaved().catch(() => undefined);
    if (this.local.size > 0) return true;
    return (await this.redis.hlen(this.key).catch(() => 0)) > 0;
  }

  /** The mark was read back (from `m.oldest`): drops it unless a miss further back came meanwhile. */
  async clear(m: MissedMark): Promise<void> {
    const field = fieldOf(m);
    if (this.local.get(field) === m.oldest) {
      this.local.delete(field);
      if (this.unsaved.delete(field)) await this.spoolUnsaved();
    }
    await this.redis.eval(CLEAR, 2, this.key, this.laterKey, field, m.oldest);
  }
}

/** "T/C" or "T/C/thread": a place; "...!ts" for one message of it ({@link MissedMark.only}). */
function fieldOf(m: MissedMark): string {
  const place = [m.teamId, m.channel, ...(m.thread ? [m.thread] : [])].join('/');
  return m.only ? `${place}!${m.oldest}` : place;
}

function markOf(field: string, oldest: string): MissedMark | undefined {
  const [place = '', only] = field.split('!');
  const [teamId, channel, thread] = place.split('/');
  if (!teamId || !channel || !/^\d+(\.\d+)?$/.test(oldest)) return undefined;
  return { teamId, channel, ...(thread ? { thread } : {}), oldest, ...(only ? { only: true } : {}) };
}
