import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/logger.ts';
import { normalizeConsoleUsername } from '../../src/services/console-accounts.service.ts';
import { clientNetwork } from './client-network.ts';

/*
 * The rules (OWASP's authentication cheat sheet: lock out the guesser, not the account's owner).
 *
 * - A client address is an IPv4 address, or an IPv6 address's /64 network (one host holds a whole /64
 *   and can move inside it for free; an IPv4-mapped address counts as its IPv4 address): see
 *   {@link clientNetwork} (connectors/console/client-network.ts).
 * - One account name from one client address (the pair): {@link MAX_FAILURES_PER_PAIR} wrong passwords
 *   within {@link SIGN_IN_WINDOW_MS} of the first lock that pair until the window ends. The owner
 *   signing in from anywhere else is not locked.
 * - One client address, any account names: {@link MAX_FAILURES_PER_ADDRESS} wrong passwords within the
 *   window lock that address until the window ends (one place spraying many names).
 * - One account name, any addresses: no lock (an outsider who knows a rep's user name could otherwise
 *   keep the rep locked out for ever), but from the {@link ACCOUNT_FREE_FAILURES}th wrong password in the
 *   window on, every further try for that name waits a delay that doubles with each wrong password:
 *   {@link ACCOUNT_DELAY_BASE_MS} (1 s), 2 s, 4 s … capped at {@link ACCOUNT_DELAY_MAX_MS} (60 s). A
 *   guesser with many addresses gets about 25 tries per 15 minutes per account (5, then 6 more within
 *   about a minute, then one a minute). Refused tries cost the guesser nothing and each counted wrong
 *   password sets a new delay, so a guesser can keep that delay up for as long as they like.
 * - A device the account signed in from before (OWASP's "device cookies"): a try that carries a valid
 *   device cookie for the same account name (the router checks the cookie's signature and name and
 *   passes its device id) skips the account's delay, so the owner's own browser is never kept waiting
 *   by a guesser. The pair and address locks still apply. The device's wrong passwords are counted too:
 *   after {@link MAX_FAILURES_PER_DEVICE} within the window that device id no longer skips the delay
 *   (a stolen cookie buys at most that many tries without it). A cookie that remembers several
 *   accounts holds a device id per account (connectors/console/device-cookie.ts), so those tries are
 *   counted per account: a stolen cookie's wrong passwords for one account end its skip for that one.
 * - A try is counted when it starts (before the password is checked) and given back when it turns out
 *   right or could not be judged (a database error), so a burst of concurrent guesses cannot all slip
 *   in before the first wrong one is counted.
 * - A right password clears its own pair and the account's running delay, and gives back the address,
 *   the account and the device only the one try it counted: they keep their other wrong passwords (the
 *   account's count expires with its window), so neither a guesser who knows one password nor the
 *   owner's own sign-in gives a guesser a fresh set of free tries. A try is settled once: a second
 *   settle (a success and then an error) changes nothing.
 * - Account names are compared trimmed and lower-cased (as sign-in finds accounts); names that do not
 *   exist are counted alike, so the answers tell nothing about which names exist.
 *
 * With Redis the counts are shared by every console process (keys `<prefix>:console:{sign-in}:…`, one
 * Lua script per try, Redis's clock), so N processes behind a load balancer allow no more than one.
 * When Redis does not answer (not connected, or no answer within {@link REDIS_TIMEOUT_MS}), the try is
 * counted in this process instead, and that is logged once per outage: refusing every sign-in would
 * lock everyone out, and not counting would let guessing go unbounded. A try Redis answers after the
 * timeout is counted there as well (counted twice at worst, never not at all), and settled there as in
 * this process once Redis's answer is in: a right password clears the account's delay its own late
 * count set in Redis, and a try this process refused is given back there (its password was never
 * checked).
 */

/** Wrong passwords allowed for one account name from one client address within the window. */
export const MAX_FAILURES_PER_PAIR = 5;
/** Wrong passwords allowed from one client address (any account names) within the window. */
export const MAX_FAILURES_PER_ADDRESS = 20;
/** Wrong passwords for one account name (any addresses) before each further try waits a delay. */
export const ACCOUNT_FREE_FAILURES = 5;
/** Wrong passwords from one device (device cookie) within the window before it no longer skips the account's delay. */
export const MAX_FAILURES_PER_DEVICE = 5;
/** The first delay (after the {@link ACCOUNT_FREE_FAILURES}th wrong password); each further one doubles it. */
export const ACCOUNT_DELAY_BASE_MS = 1_000;
/** The longest delay. */
export const ACCOUNT_DELAY_MAX_MS = 60_000;
/** The window, counted from the first wrong password in it: 15 minutes. */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
/** How long a try waits for Redis before it is counted in this process instead. */
export const REDIS_TIMEOUT_MS = 1_000;

/** What a refused try was refused for. */
export type ThrottleReason = 'pair' | 'address' | 'account';

export type SignInCheck =
  | {
      allowed: false;
      reason: ThrottleReason;
      /** Seconds until the next try may be made (at least 1): the `Retry-After` header. */
      retryAfter: number;
    }
  | {
      allowed: true;
      /**
       * The password was right: clears the pair and the account's running delay, gives the address, the
       * account and the device their try back. Only the first of succeeded/abandoned counts.
       */
      succeeded(): Promise<void>;
      /** The password could not be checked (an error): the try is given back everywhere (once). */
      abandoned(): Promise<void>;
    };

/** The delay after the `count`th wrong password for one account (0 below {@link ACCOUNT_FREE_FAILURES}). */
export function accountDelayMs(count: number): number {
  if (count < ACCOUNT_FREE_FAILURES) return 0;
  return Math.min(ACCOUNT_DELAY_BASE_MS * 2 ** (count - ACCOUNT_FREE_FAILURES), ACCOUNT_DELAY_MAX_MS);
}

interface Keys {
  pair: string;
  address: string;
  account: string;
  /** Present (with a time to live) while the account's delay runs. */
  accountWait: string;
  /** The device cookie's device id (a try that carries a valid one for this account). */
  device?: string;
}

/** The keys in the order the scripts take them (the device last, only when there is one). */
const keyList = (keys: Keys): string[] => [
  keys.pair,
  keys.address,
  keys.account,
  keys.accountWait,
  ...(keys.device ? [keys.device] : []),
];

interface CountStore {
  /** [reason or '', milliseconds to wait]; when allowed, the try is counted. */
  begin(keys: Keys): Promise<[string, number]>;
  settle(keys: Keys, outcome: 'succeeded' | 'abandoned'): Promise<void>;
}

// KEYS: pair, address, account, account wait[, device]. ARGV: window, max per pair, max per address,
// account failures before the delay, first delay, longest delay (ms), max per device. Answers
// { reason or '', ms to wait }. A device under its max skips the account's delay.
const BEGIN = `
local window = tonumber(ARGV[1])
local function locked(key, max)
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= max then
    local ttl = redis.call('PTTL', key)
    if ttl > 0 then return ttl end
  end
  return 0
end
local wait = locked(KEYS[1], tonumber(ARGV[2]))
if wait > 0 then return { 'pair', wait } end
wait = locked(KEYS[2], tonumber(ARGV[3]))
if wait > 0 then return { 'address', wait } end
local trusted = KEYS[5] ~= nil and tonumber(redis.call('GET', KEYS[5]) or '0') < tonumber(ARGV[7])
if not trusted then
  wait = redis.call('PTTL', KEYS[4])
  if wait > 0 then return { 'account', wait } end
end
local function count(key)
  local n = redis.call('INCR', key)
  if n == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
  return n
end
count(KEYS[1])
count(KEYS[2])
local n = count(KEYS[3])
local free = tonumber(ARGV[4])
if n >= free then
  local delay = math.min(tonumber(ARGV[5]) * 2 ^ (n - free), tonumber(ARGV[6]))
  redis.call('SET', KEYS[4], '1', 'PX', math.floor(delay))
end
if KEYS[5] ~= nil then count(KEYS[5]) end
return { '', 0 }
`;

// KEYS as BEGIN's. ARGV[1]: 'succeeded' or 'abandoned'. Gives a counted try back (never below 0 and
// never to a key that expired meanwhile); a success clears the pair and the account's running delay
// (the account's count is left to expire with its window).
const SETTLE = `
local function giveBack(key)
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 0 then redis.call('DECR', key) end
end
giveBack(KEYS[2])
giveBack(KEYS[3])
if KEYS[5] ~= nil then giveBack(KEYS[5]) end
if ARGV[1] == 'succeeded' then
  redis.call('DEL', KEYS[1], KEYS[4])
else
  giveBack(KEYS[1])
end
return 1
`;

class RedisCounts implements CountStore {
  constructor(private readonly redis: Redis) {}

  async begin(keys: Keys): Promise<[string, number]> {
    const list = keyList(keys);
    const [reason, wait] = (await this.redis.eval(
      BEGIN,
      list.length,
      ...list,
      SIGN_IN_WINDOW_MS,
      MAX_FAILURES_PER_PAIR,
      MAX_FAILURES_PER_ADDRESS,
      ACCOUNT_FREE_FAILURES,
      ACCOUNT_DELAY_BASE_MS,
      ACCOUNT_DELAY_MAX_MS,
      MAX_FAILURES_PER_DEVICE,
    )) as [string, number];
    return [reason, Number(wait)];
  }

  async settle(keys: Keys, outcome: 'succeeded' | 'abandoned'): Promise<void> {
    const list = keyList(keys);
    await this.redis.eval(SETTLE, list.length, ...list, outcome);
  }
}

/** The same rules in this process's memory (no Redis, or Redis not answering). */
class MemoryCounts implements CountStore {
  /** count and the time the window ends (ms), per key. */
  private readonly counts = new Map<string, { count: number; until: number }>();
  /** When each running account delay ends. */
  private readonly waits = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  async begin(keys: Keys): Promise<[string, number]> {
    const now = this.now();
    const locked = (key: string, max: number) => {
      const c = this.live(key, now);
      return c && c.count >= max ? c.until - now : 0;
    };
    const pair = locked(keys.pair, MAX_FAILURES_PER_PAIR);
    if (pair > 0) return ['pair', pair];
    const address = locked(keys.address, MAX_FAILURES_PER_ADDRESS);
    if (address > 0) return ['address', address];
    const trusted = keys.device !== undefined && (this.live(keys.device, now)?.count ?? 0) < MAX_FAILURES_PER_DEVICE;
    const until = this.waits.get(keys.accountWait) ?? 0;
    if (!trusted && until > now) return ['account', until - now];
    this.count(keys.pair, now);
    this.count(keys.address, now);
    const delay = accountDelayMs(this.count(keys.account, now));
    if (delay > 0) this.waits.set(keys.accountWait, now + delay);
    if (keys.device) this.count(keys.device, now);
    this.prune(now);
    return ['', 0];
  }

  async settle(keys: Keys, outcome: 'succeeded' | 'abandoned'): Promise<void> {
    const now = this.now();
    const giveBack = (key: string) => {
      const c = this.live(key, now);
      if (c && c.count > 0) c.count--;
    };
    giveBack(keys.address);
    giveBack(keys.account);
    if (keys.device) giveBack(keys.device);
    if (outcome === 'succeeded') {
      this.counts.delete(keys.pair);
      this.waits.delete(keys.accountWait);
    } else giveBack(keys.pair);
  }

  private live(key: string, now: number) {
    const c = this.counts.get(key);
    if (c && c.until <= now) {
      this.counts.delete(key);
      return undefined;
    }
    return c;
  }

  private count(key: string, now: number): number {
    const c = this.live(key, now);
    if (c) return ++c.count;
    this.counts.set(key, { count: 1, until: now + SIGN_IN_WINDOW_MS });
    return 1;
  }

  /**
   * Bounded memory under a spray of made-up names: once large, ended windows and delays are dropped,
   * and past a hard cap the oldest entries go too (a guesser would need that many addresses).
   */
  private prune(now: number): void {
    if (this.counts.size > 10_000) for (const [k, c] of this.counts) if (c.until <= now) this.counts.delete(k);
    if (this.waits.size > 10_000) for (const [k, until] of this.waits) if (until <= now) this.waits.delete(k);
    for (const map of [this.counts, this.waits] as Map<string, unknown>[])
      for (const k of map.keys()) {
        if (map.size <= 100_000) break;
        map.delete(k);
      }
  }
}

/** A short fixed-length name for an account name or an address in a key (names may hold any text). */
const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

export interface SignInThrottleOptions {
  /** Redis shared by the console processes; absent: counted in this process only. */
  redis?: Redis;
  /** The deployment's key prefix (RAPPORT_QUEUE_PREFIX); keys are `<prefix>:console:{sign-in}:…`. */
  prefix?: string;
  logger?: Logger;
  /** How long a try waits for Redis before it is counted in this process. Default {@link REDIS_TIMEOUT_MS}. */
  redisTimeoutMs?: number;
  /** The in-process counts' clock (tests). Redis uses its own. */
  now?: () => number;
}

/** Password sign-in throttle of the console: see the rules above. */
export class SignInThrottle {
  private readonly memory: MemoryCounts;
  private readonly shared: RedisCounts | undefined;
  private readonly base: string;
  private redisDown = false;

  constructor(private readonly opts: SignInThrottleOptions = {}) {
    this.memory = new MemoryCounts(opts.now ?? Date.now);
    this.shared = opts.redis ? new RedisCounts(opts.redis) : undefined;
    // One hash tag: the keys of a try share a Redis Cluster slot, as the script needs.
    this.base = `${opts.prefix ?? '{rapport}'}:console:{sign-in}`;
  }

  /**
   * Whether `account` may try a password from `address` now; when it may, the try is counted as wrong.
   * `address` is counted by {@link clientNetwork} (an IPv6 address by its /64). `device`: the device id
   * a valid device cookie holds for this same account name (the caller checks the cookie), which skips
   * the account's delay while that device has fewer than {@link MAX_FAILURES_PER_DEVICE} wrong
   * passwords in the window.
   */
  async check(account: string, address: string, device?: string): Promise<SignInCheck> {
    const name = digest(normalizeConsoleUsername(account));
    const place = digest(clientNetwork(address));
    const keys: Keys = {
      pair: `${this.base}:pair:${name}:${place}`,
      address: `${this.base}:address:${place}`,
      account: `${this.base}:account:${name}`,
      accountWait: `${this.base}:account-wait:${name}`,
      ...(device ? { device: `${this.base}:device:${digest(device)}` } : {}),
    };
    const { store, answer, late } = await this.begin(keys);
    const [reason, waitMs] = answer;
    if (reason) {
      // Refused here, never checked: a late count in Redis is given back.
      if (late) this.settleLate(late, keys, 'abandoned');
      return { allowed: false, reason: reason as ThrottleReason, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    // Settled once: a success followed by an error (the session could not be started) gives nothing back twice.
    let settled = false;
    const settle = (outcome: 'succeeded' | 'abandoned') => async () => {
      if (settled) return;
      settled = true;
      if (late) this.settleLate(late, keys, outcome);
      try {
        await this.withTimeout(store.settle(keys, outcome));
      } catch (err) {
        this.opts.logger?.warn({ err: (err as Error).message }, 'console sign-in throttle: a try could not be settled');
      }
    };
    return { allowed: true, succeeded: settle('succeeded'), abandoned: settle('abandoned') };
  }

  /**
   * Counts the try in Redis, or in this process when Redis does not answer in time; then `late` is
   * Redis's own answer still to come (the script may yet run there).
   */
  private async begin(
    keys: Keys,
  ): Promise<{ store: CountStore; answer: [string, number]; late?: Promise<[string, number]> }> {
    let late: Promise<[string, number]> | undefined;
    if (this.shared && this.opts.redis?.status === 'ready') {
      const work = this.shared.begin(keys);
      try {
        const answer = await this.withTimeout(work);
        if (this.redisDown) {
          this.redisDown = false;
          this.opts.logger?.info('console sign-in throttle: Redis answers again; tries are counted there');
        }
        return { store: this.shared, answer };
      } catch (err) {
        this.noteRedisDown((err as Error).message);
        late = work;
      }
    } else if (this.shared) this.noteRedisDown(`Redis connection ${this.opts.redis?.status}`);
    return { store: this.memory, answer: await this.memory.begin(keys), late };
  }

  /**
   * Settles in Redis a try Redis counted after this process had stopped waiting for it (its answer
   * allowed the try), whenever that answer comes: in order on the connection, ahead of later tries.
   */
  private settleLate(late: Promise<[string, number]>, keys: Keys, outcome: 'succeeded' | 'abandoned'): void {
    const shared = this.shared;
    if (!shared) return;
    late.then(
      ([reason]) => {
        if (reason) return;
        shared
          .settle(keys, outcome)
          .catch((err: Error) =>
            this.opts.logger?.warn(
              { err: err.message },
              'console sign-in throttle: a late try could not be settled in Redis',
            ),
          );
      },
      // No answer at all (the connection dropped): the outage is logged once already.
      () => {},
    );
  }

  private noteRedisDown(why: string): void {
    if (this.redisDown) return;
    this.redisDown = true;
    this.opts.logger?.warn(
      { err: why },
      'console sign-in throttle: Redis does not answer; wrong passwords are counted in this process until it does',
    );
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    const ms = this.opts.redisTimeoutMs ?? REDIS_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    work.catch(() => {});
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }
}
