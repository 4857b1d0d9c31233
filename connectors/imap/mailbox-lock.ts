import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

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
  readonly token = randomUUID();
  readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastRenewed = 0;

  constructor(
    private readonly redis: Redis,
    mailbox: string,
    private readonly opts: MailboxLockOptions = {},
  ) {
    this.key = `${opts.prefix ?? '{rapport}'}:imap-lock:${mailbox.toLowerCase()}`;
    this.ttlMs = opts.ttlMs ?? 30_000;
  }

  get held(): boolean {
    return this.timer !== undefined;
  }

  /** Tries once; true when this process now holds the lock (and keeps renewing it). */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const ok = (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
    if (!ok) return false;
    this.lastRenewed = Date.now();
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    return true;
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
