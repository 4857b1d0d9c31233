import type { Redis } from 'ioredis';
import { redisNow } from '../../src/redis/redis-clock.ts';
import { fieldOf, type MissedMark, markOf } from './slack-missed-field.ts';
import type { SlackMissedSpool } from './slack-missed-spool.ts';

/** The first tries of a mark that keeps failing are at every check; then the wait doubles, up to a cap. */
const TRIES_AT_ONCE = 3;
const FIRST_WAIT_MS = 30_000;
/** The cap for a message marked alone the bot cannot log (a bug, a row PostgreSQL refuses): an hour. */
const MAX_WAIT_MS = 3_600_000;
/**
 * The cap for a place whose history Slack keeps failing to show (5xx, rate limits, timeouts): five minutes,
 * so a place is read back at most that long after Slack recovers from an incident of any length, for a call
 * every five minutes while it lasts.
 */
export const SLACK_FAILING_MAX_WAIT_MS = 300_000;

/**
 * How long after its `tries`-th failed try a mark is tried again (a message marked alone the bot cannot
 * log, a place whose history Slack keeps failing to show): 30 s for the first three (a failover, a
 * deploy, a short Slack incident), then 1, 2, 4... minutes, at most `maxMs` (an hour by default: a
 * message the bot cannot log for days costs a call and a log line an hour, not every 30 s).
 */
export function retryWaitMs(tries: number, maxMs = MAX_WAIT_MS): number {
  return Math.min(FIRST_WAIT_MS * 2 ** Math.max(0, tries - TRIES_AT_ONCE), maxMs);
}

export type { MissedMark } from './slack-missed-field.ts';

/**
 * Where a new mark is kept: in Redis (for every process); on this machine's disk too while Redis is away
 * (RAPPORT_DATA_DIR, until Redis is back); or, when the disk refuses too, in this process alone.
 */
export type MarkKept = 'redis' | 'disk' | 'process';

/**
 * Keeps the lower ts of the two (a second miss in the same place further back widens the read), and counts
 * every miss noted for the place (KEYS[2]), so that a read-back that began before a later miss there does
 * not take that miss's mark with it; returns that count (this miss's, in the same step).
 */
const MARK = `local misses = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or tonumber(ARGV[2]) < tonumber(v) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return misses`;
/**
 * Whether the mark is still the one read back (KEYS[1] its ts, KEYS[3] its count of misses; ARGV[3] "*":
 * its ts alone): no miss, further back or later, came since.
 */
const UNCHANGED = `local v = redis.call('HGET', KEYS[1], ARGV[1])
local unchanged = v == ARGV[2] and (ARGV[3] == '*' or (redis.call('HGET', KEYS[3], ARGV[1]) or '') == ARGV[3])`;
/**
 * Deletes a mark only when it is still the one read back ({@link UNCHANGED}), and with it its count of
 * misses and of tries (a message marked alone); the counts of a mark already gone (another process read it
 * to the end) go too.
 */
const CLEAR = `${UNCHANGED}
if unchanged then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
if not v then redis.call('HDEL', KEYS[2], ARGV[1]) redis.call('HDEL', KEYS[3], ARGV[1]) end
return 0`;
/**
 * Moves a mark read back in part on to ARGV[4] in one step (a process killed at any point leaves it at
 * one or the other), when it is still the one read back ({@link UNCHANGED}). Otherwise (a miss came since,
 * or the place was read from elsewhere than its mark) it becomes the lower of the two, as a new miss at
 * ARGV[4] would.
 */
const MOVE = `${UNCHANGED}
if unchanged then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  return 1
end
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
if not v or tonumber(ARGV[4]) < tonumber(v) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[4]) end
return 0`;

/**
 * Counts one more failed try of a mark and sets when it is due again (Redis's clock), in one step:
 * ARGV[2..4] are TRIES_AT_ONCE, FIRST_WAIT_MS and the cap, the wait as {@link retryWaitMs} works it out.
 * ARGV[5] is the place's count of misses (KEYS[2]) when the mark was read, or "*": when a miss came there
 * since, nothing is put off (that miss is read at the next check) and {0, 0} is returned.
 */
const DEFER = `if ARGV[5] ~= '*' and (redis.call('HGET', KEYS[2], ARGV[1]) or '') ~= ARGV[5] then return {0, 0} end
local before = redis.call('HGET', KEYS[1], ARGV[1])
local tries = (before and tonumber(string.match(before, '^(%d+):')) or 0) + 1
local wait = math.min(tonumber(ARGV[3]) * 2 ^ math.max(0, tries - tonumber(ARGV[2])), tonumber(ARGV[4]))
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], tries .. ':' .. string.format('%d', now + wait))
return {tries, wait}`;

/** A mark of this process: its ts, and how many misses it has noted there. */
interface LocalMark {
  oldest: string;
  misses: number;
}

/**
 * What a mark returned by {@link SlackMissedMarks.all} was when read: Redis's count of misses, this
 * process's; and its field (a deletion the release before marked in its own form is cleared there).
 */
interface ReadAs {
  redis: string;
  local?: number;
  field: string;
}

/**
 * The deployment's marks of missed Slack messages, in a Redis hash (RAPPORT_QUEUE_PREFIX): written by the
 * process whose write failed after Slack's ack, read by whichever process catches up next (this one a
 * little later, any process's periodic check, or the next start). Kept in this process too, so a miss
 * during a Redis outage is still read back while the process runs, and written to Redis once it is back;
 * and meanwhile in the spool on disk, so that a process killed before Redis is back leaves its marks to
 * the next process of its data dir that reaches Redis. A mark read back goes (or moves on) only when no
 * miss came there since it was read: a message missed while its place is being read back may come after
 * what the read-back fetched.
 */
export class SlackMissedMarks {
  private readonly key: string;
  /** Marks that failed again (see {@link defer}): field -> "tries:due" (ms, Redis's clock). */
  private readonly laterKey: string;
  /** How many misses each marked place has had: field -> count (see {@link MARK}). */
  private readonly missesKey: string;
  private readonly local = new Map<string, LocalMark>();
  /** Fields of marks made while Redis was away: written to it once it answers again. */
  private readonly unsaved = new Set<string>();
  /** What each mark {@link all} returned was when read (by the object's identity: no field of its own). */
  private readonly readAs = new WeakMap<MissedMark, ReadAs>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly spool?: SlackMissedSpool,
  ) {
    this.key = `${prefix}:slack-missed`;
    this.laterKey = `${prefix}:slack-missed-later`;
    this.missesKey = `${prefix}:slack-missed-misses`;
  }

  /**
   * Marks a place to read back, and says where the mark is kept. `readInPass`: the marks a catch-up pass
   * read ({@link due}), when that pass notes this miss itself (a message it could not log, a thread its
   * bound cut). For the mark of the same place among them this miss then does not count as one that came
   * since it was read (the pass tried the place itself): a failed try of it later in the pass is still put
   * off ({@link defer}; it was retried at the next check, a step of its backoff lost), a read of it to the
   * end still clears it. Only when it is the one miss there since it was read: any other, a live event's,
   * still counts.
   */
  async mark(m: MissedMark, readInPass: readonly MissedMark[] = []): Promise<MarkKept> {
    const field = fieldOf(m);
    const read = readInPass.map((r) => this.readAs.get(r)).find((as) => as?.field === field);
    if (read?.local !== undefined && read.local === this.local.get(field)?.misses) read.local++;
    this.noteLocal(field, m.oldest);
    try {
      const misses = Number(await this.redis.eval(MARK, 2, this.key, this.missesKey, field, m.oldest));
      // Counted in the same step as this miss: one more than when read, so no other miss came there since.
      if (read && misses === Number(read.redis) + 1) read.redis = String(misses);
      return 'redis';
    } catch {
      this.unsaved.add(field);
      return (await this.spoolUnsaved()) ? 'disk' : 'process';
    }
  }

  /** Notes a miss in this process (the lower ts of the two; its count of misses goes up either way). */
  private noteLocal(field: string, oldest: string): void {
    const known = this.local.get(field);
    this.local.set(field, {
      oldest: known === undefined || Number(oldest) < Number(known.oldest) ? oldest : known.oldest,
      misses: (known?.misses ?? 0) + 1,
    });
  }

  /** Writes the unsaved marks to the spool as they are now; false when there is none or the disk refuses. */
  private async spoolUnsaved(): Promise<boolean> {
    if (!this.spool) return false;
    const marks = new Map<string, string>();
    for (const field of this.unsaved) {
      const known = this.local.get(field);
      if (known !== undefined) marks.set(field, known.oldest);
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
        const known = this.local.get(field);
        if (known !== undefined) await this.redis.eval(MARK, 2, this.key, this.missesKey, field, known.oldest);
        // A miss there meanwhile (its write to Redis failed: kept on disk) is written next time.
        if (this.local.get(field) === known) this.unsaved.delete(field);
      }
      await this.spoolUnsaved();
    }
    if (!this.spool) return;
    // Only once Redis answers (this throws while it is away): taken with Redis away, the files (this
    // process's own too) would sit renamed until the next take, for nothing.
    await this.redis.ping();
    const spooled = await this.spool.take().catch(() => undefined);
    if (!spooled) return;
    for (const [field, oldest] of spooled.marks) {
      const m = markOf(field, oldest);
      // In this release's form: a deletion the release before spooled in its own is written as one the
      // releases before it pass over (see fieldOf).
      if (m) await this.redis.eval(MARK, 2, this.key, this.missesKey, fieldOf(m), oldest);
    }
    await spooled.done();
  }

  /**
   * Every mark, this process's and the deployment's (the lower ts where both have one). {@link clear} and
   * {@link moveOn} of a mark returned here act only if no miss came there since.
   */
  async all(): Promise<MissedMark[]> {
    // Read with Redis away, a mark counts as changed by any miss noted in Redis since (read again, never lost).
    const merged = new Map<string, { oldest: string; as: ReadAs }>();
    for (const [field, mine] of this.local)
      merged.set(field, { oldest: mine.oldest, as: { redis: '', local: mine.misses, field } });
    try {
      await this.saveUnsaved();
      // The counts first: a miss between the two reads makes the mark look changed (read again), never
      // unchanged.
      const misses = await this.redis.hgetall(this.missesKey);
      for (const [field, mark] of merged) mark.as.redis = misses[field] ?? '';
      for (const [field, oldest] of Object.entries(await this.redis.hgetall(this.key))) {
        const mine = merged.get(field);
        if (mine === undefined) merged.set(field, { oldest, as: { redis: misses[field] ?? '', field } });
        else if (Number(oldest) < Number(mine.oldest)) mine.oldest = oldest;
      }
    } catch {
      // Redis away: this process's marks are all it can read back now.
    }
    return [...merged].flatMap(([field, { oldest, as }]) => {
      const mark = markOf(field, oldest);
      if (!mark) return [];
      this.readAs.set(mark, as);
      return [mark];
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
      const due = later[this.fieldOfRead(m)]?.split(':')[1];
      return due === undefined || Number(due) <= now;
    });
  }

  /**
   * A mark failed again (a message marked alone still cannot be logged; Slack failed to show the place's
   * history): its next try waits ({@link retryWaitMs}, at most `maxMs`). The tries are counted until its
   * mark is cleared or a new miss there comes ({@link retryNow}). A mark {@link all} returned is put off
   * only when no miss came there since it was read (a new miss is read soon, whenever its retryNow
   * landed). Undefined when nothing was put off: a miss came since, or Redis is away (then it is tried at
   * every check).
   */
  async defer(m: MissedMark, maxMs = MAX_WAIT_MS): Promise<{ tries: number; waitMs: number } | undefined> {
    try {
      // One script, not a read then a write: a new miss's retryNow landing between the two was undone by
      // the write (its tries counted on, so the miss waited up to an hour instead of being read soon).
      const [tries, waitMs] = (await this.redis.eval(
        DEFER,
        2,
        this.laterKey,
        this.missesKey,
        this.fieldOfRead(m),
        TRIES_AT_ONCE,
        FIRST_WAIT_MS,
        maxMs,
        this.readAs.get(m)?.redis ?? '*',
      )) as [number, number];
      return tries === 0 ? undefined : { tries, waitMs };
    } catch {
      return undefined;
    }
  }

  /**
   * A new miss in a place whose tries wait (see {@link defer}): it is read back at the next check again,
   * its tries counted from the start. Best effort (with Redis away every mark is tried at each check).
   */
  async retryNow(m: MissedMark): Promise<void> {
    await this.redis.hdel(this.laterKey, this.fieldOfRead(m)).catch(() => undefined);
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

  /**
   * The mark was read back (from `m.oldest`): drops it unless a miss came there since it was read (a mark
   * {@link all} returned; any other: unless a miss further back came).
   */
  async clear(m: MissedMark): Promise<void> {
    const field = this.fieldOfRead(m);
    const as = this.readAs.get(m);
    if (this.unchangedHere(field, m, as)) {
      this.local.delete(field);
      if (this.unsaved.delete(field)) await this.spoolUnsaved();
    }
    await this.redis.eval(CLEAR, 3, this.key, this.laterKey, this.missesKey, field, m.oldest, as?.redis ?? '*');
  }

  /**
   * The place was read back from `m.oldest` up to `resumeAt`, not to its end: its mark moves on to
   * `resumeAt` in one step, its tries counted from the start (unless a miss came there since it was read,
   * or `m` is not its mark: then the lower of the mark and `resumeAt` stays).
   */
  async moveOn(m: MissedMark, resumeAt: string): Promise<void> {
    const field = this.fieldOfRead(m);
    const as = this.readAs.get(m);
    const mine = this.local.get(field);
    if (mine) {
      if (this.unchangedHere(field, m, as)) this.local.set(field, { oldest: resumeAt, misses: mine.misses });
      else this.noteLocal(field, resumeAt);
      if (this.unsaved.has(field)) await this.spoolUnsaved();
    }
    await this.redis.eval(
      MOVE,
      3,
      this.key,
      this.laterKey,
      this.missesKey,
      field,
      m.oldest,
      as?.redis ?? '*',
      resumeAt,
    );
  }

  /**
   * The field a mark {@link all} returned was read from (a deletion the release before marked: its form),
   * else its own.
   */
  private fieldOfRead(m: MissedMark): string {
    return this.readAs.get(m)?.field ?? fieldOf(m);
  }

  /** Whether this process's own mark of the place is still the one read back. */
  private unchangedHere(field: string, m: MissedMark, as: ReadAs | undefined): boolean {
    const mine = this.local.get(field);
    return mine !== undefined && mine.oldest === m.oldest && (as?.local === undefined || as.local === mine.misses);
  }
}
