import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/**
 * SET NX PX and the acquisition's fencing token in one script, so no two acquisitions share a token and
 * a token is never issued without the lock. The token is max(last token + 1, Redis's clock in ms), stored
 * back without expiry: the counter makes it grow however close two acquisitions come, the clock makes it
 * keep growing when the counter is gone (FLUSHALL, a fresh or failed-over Redis without it). Tokens are
 * then about the time of their acquisition, and a new one is above every older one PostgreSQL stored as
 * long as Redis's clock has not gone back past that older acquisition. Should it have (a new Redis on a
 * machine whose clock is behind), the holder's raise of the fence is refused, it releases the lock and
 * tries again as a standby with the counter raised to the stored token (see raiseFence): one retry late,
 * never two writers. Seeding from PostgreSQL instead would need the database in the lock's path; the clock needs
 * nothing. Returns 0 when the lock is held by another.
 */
const ACQUIRE = `if not redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fence = math.max(tonumber(redis.call('get', KEYS[2]) or '0') + 1, now)
redis.call('set', KEYS[2], string.format('%d', fence))
return string.format('%d', fence)`;

/** Raises the last token issued (KEYS[1]) to ARGV[1] when it is lower; never lowers it. */
const RAISE_FENCE = `local last = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > last then redis.call('set', KEYS[1], ARGV[1]) return 1 end
return 0`;

/** See {@link MailboxLock.holder}. */
export type LockHolder =
  | { kind: 'this-process' }
  | { kind: 'nobody' }
  | { kind: 'another-process'; renewedAgoMs: number; expiresInMs: number };

export interface MailboxLockOptions {
  /** Key prefix; the `{rapport}` hash tag keeps all keys in one Redis Cluster slot. Default `{rapport}`. */
  prefix?: string;
  /** Lock lifetime without renewal, ms: a dead holder's mailbox is taken over after at most this long. Default 30000. */
  ttlMs?: number;
  /** Called when the lock was lost (renewal found another owner or Redis failed for a whole TTL). */
  onLost?: () => void;
}

/**
 * A Redis lock (SET NX PX) that makes one process the syncer of a mailbox. The holder renews it every
 * ttl/3; a process that dies stops renewing and another one acquires it within `ttlMs` + its retry
 * interval. Release and renewal compare the owner token, so a slow former holder never deletes a
 * successor's lock.
 */
export class MailboxLock {
  readonly key: string;
  /** Where the last fencing token issued for this mailbox is kept (no expiry). */
  readonly fenceKey: string;
  readonly token = randomUUID();
  /**
   * The fencing token of this process's current (or last) acquisition: larger than any issued before it
   * for this mailbox. Writes carry it so that PostgreSQL refuses them once a newer holder stored its own.
   */
  fence: bigint | undefined;
  readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastRenewed = 0;

  constructor(
    private readonly redis: Redis,
    mailbox: string,
    private readonly opts: MailboxLockOptions = {},
  ) {
    this.key = `${opts.prefix ?? '{rapport}'}:imap-lock:${mailbox.toLowerCase()}`;
    // The same hash tag as the lock: one Redis Cluster slot, so one script can touch both.
    this.fenceKey = `${opts.prefix ?? '{rapport}'}:imap-fence:${mailbox.toLowerCase()}`;
    this.ttlMs = opts.ttlMs ?? 30_000;
  }

  get held(): boolean {
    return this.timer !== undefined;
  }

  /** Tries once; true when this process now holds the lock (and keeps renewing it), with a new {@link fence}. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const fence = String(await this.redis.eval(ACQUIRE, 2, this.key, this.fenceKey, this.token, String(this.ttlMs)));
    if (fence === '0') return false;
    this.fence = BigInt(fence);
    this.lastRenewed = Date.now();
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    return true;
  }

  /**
   * The database has seen `floor` as this mailbox's newest token while Redis issued a lower one (it lost
   * the last token issued, and its clock is behind that acquisition's): the next acquisition's token is
   * above `floor`, so this mailbox waits one retry for it, not until Redis's clock catches up.
   */
  async raiseFence(floor: bigint): Promise<void> {
    await this.redis.eval(RAISE_FENCE, 1, this.fenceKey, floor.toString());
  }

  private async renew(): Promise<void> {
    try {
      const ok = (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1;
      if (ok) {
        this.lastRenewed = Date.now();
        return;
      }
      this.lost();
    } catch {
      // Redis unreachable: keep trying until the TTL would have run out, then assume someone else took over.
      if (Date.now() - this.lastRenewed >= this.ttlMs) this.lost();
    }
  }

  private lost(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.opts.onLost?.();
  }

  /** Stops renewing and deletes the lock if still ours, so another process can take over at once. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => undefined);
  }

  /**
   * Who holds the lock now, from Redis: this process, another one (with how long ago it last renewed
   * the lock and when it runs out, assuming the same TTL), or nobody (the holder released it, or it
   * expired and nobody has taken it yet).
   */
  async holder(): Promise<LockHolder> {
    if (this.held) return { kind: 'this-process' };
    // PTTL alone: -2 when nobody holds the key, -1 for a key without expiry (never ours).
    const left = await this.redis.pttl(this.key);
    if (left < 0) return { kind: 'nobody' };
    return { kind: 'another-process', renewedAgoMs: Math.max(0, this.ttlMs - left), expiresInMs: left };
  }

  /** Stops renewing without releasing: what a crashed process leaves behind (tests of takeover). */
  abandon(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
