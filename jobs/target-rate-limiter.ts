import type { Redis } from 'ioredis';

/** A sliding-window limit: at most `max` posts per `windowMs`. */
export interface RateWindow {
  max: number;
  windowMs: number;
}

/**
 * Per-target limits that respect the platforms: Slack allows about one message per second per
 * channel; Teams 7 per second and 60 per 30 seconds per conversation. The console has none.
 */
export const PLATFORM_RATE_LIMITS: Record<string, RateWindow[]> = {
  slack: [{ max: 1, windowMs: 1_000 }],
  teams: [
    { max: 7, windowMs: 1_000 },
    { max: 60, windowMs: 30_000 },
  ],
};

// Sliding-window log over several windows at once, with reservations. A post that fits in every
// window now is counted now; one that does not gets the earliest time at which it will fit, and that
// slot is reserved under its member (the delivery key): the job sleeps until then and is let through
// when it comes back. Each waiting post thus gets a slot of its own, instead of all of a channel's
// waiting posts waking together and all but one going back to sleep (a burst of 100 reminders in one
// Slack channel cost about 5,000 wasted attempts). Entries are post times (or reserved ones); the
// earliest time a new one fits is the max-th newest entry plus the window, in every window.
// A reservation holder that comes back later than `lateness` ms (ARGV[3]) could land too close to the
// next holder's slot, so it is treated as a new post; once granted, its entry is renamed (ARGV[4]) so
// a retry of the same delivery needs a slot of its own.
// The clock is Redis's own (TIME) unless a caller passes one (tests): worker clocks differ and a
// slot stamped before a slow round trip would let two posts land closer than the window.
const ACQUIRE = `
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local member = ARGV[2]
local lateness = tonumber(ARGV[3])
local granted = ARGV[4]
local mine = redis.call('ZSCORE', KEYS[1], member)
if mine then
  mine = tonumber(mine)
  if mine > now then return mine - now end
  for i = 1, #KEYS do redis.call('ZREM', KEYS[i], member) end
  if now - mine <= lateness then
    for i = 1, #KEYS do redis.call('ZADD', KEYS[i], mine, granted) end
    return 0
  end
end
local at = now
for i = 1, #KEYS do
  local max = tonumber(ARGV[3 + i * 2])
  local window = tonumber(ARGV[4 + i * 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local kth = redis.call('ZREVRANGE', KEYS[i], max - 1, max - 1, 'WITHSCORES')
  if kth[2] then
    local earliest = tonumber(kth[2]) + window
    if earliest > at then at = earliest end
  end
end
local name = member
if at <= now then name = granted end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], at, name)
  -- Kept until its latest entry has left the window (never shortened: later reservations may exist).
  local ttl = at - now + tonumber(ARGV[4 + i * 2])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return at - now
`;

/**
 * Shared by every worker process through Redis, so N workers together still respect a channel's limit.
 * Each window is widened by `marginMs` (default 150): the time between taking a slot and the platform
 * receiving the post varies, and without slack two posts a hair under the window apart get a 429. The
 * same margin is how late a post may come back for its reserved slot.
 */
export class TargetRateLimiter {
  private counter = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limits: Record<string, RateWindow[]> = PLATFORM_RATE_LIMITS,
    private readonly marginMs = 150,
  ) {}

  /**
   * Counts one post of `member` (a delivery key: the same for every attempt of one delivery) to
   * `target` and answers 0 when every window allows it now, or the slot it holds (reserved at the first
   * such answer) has come. Otherwise answers how many ms to wait for its reserved slot.
   */
  async acquire(target: string, member: string, now?: number): Promise<number> {
    const platform = target.split(':', 1)[0];
    const windows = this.limits[platform];
    if (!windows || windows.length === 0) return 0;
    // One hash tag per target keeps its windows in one Redis Cluster slot.
    const keys = windows.map((_, i) => `${this.keyPrefix}:rl:{${target}}:${i}`);
    const args = [
      now === undefined ? '' : String(now),
      member,
      String(this.marginMs),
      `${member}:sent:${process.pid}-${this.counter++}`,
      ...windows.flatMap((w) => [String(w.max), String(w.windowMs + this.marginMs)]),
    ];
    const wait = (await this.redis.eval(ACQUIRE, keys.length, ...keys, ...args)) as number;
    return Number(wait);
  }
}
