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

// Sliding-window log over several windows at once: either every window has room and the post is
// counted in all of them, or nothing is counted and the caller learns how long to wait.
// The clock is Redis's own (TIME) unless a caller passes one (tests): worker clocks differ and a
// slot stamped before a slow round trip would let two posts land closer than the window.
const ACQUIRE = `
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local member = ARGV[2]
local wait = 0
for i = 1, #KEYS do
  local max = tonumber(ARGV[1 + i * 2])
  local window = tonumber(ARGV[2 + i * 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= max then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + i * 2]))
end
return 0
`;

/**
 * Shared by every worker process through Redis, so N workers together still respect a channel's limit.
 * Each window is widened by `marginMs` (default 150): the time between taking a slot and the platform
 * receiving the post varies, and without slack two posts a hair under the window apart get a 429.
 */
export class TargetRateLimiter {
  private counter = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly limits: Record<string, RateWindow[]> = PLATFORM_RATE_LIMITS,
    private readonly marginMs = 150,
  ) {}

  /** Counts one post to `target` if every window allows it; otherwise returns the ms to wait (nothing counted). */
  async acquire(target: string, now?: number): Promise<number> {
    const platform = target.split(':', 1)[0];
    const windows = this.limits[platform];
    if (!windows || windows.length === 0) return 0;
    // One hash tag per target keeps its windows in one Redis Cluster slot.
    const keys = windows.map((_, i) => `${this.keyPrefix}:rl:{${target}}:${i}`);
    const args = [now === undefined ? '' : String(now), `${process.pid}-${this.counter++}-${Math.random()}`, ...windows.flatMap((w) => [String(w.max), String(w.windowMs + this.marginMs)])];
    const wait = (await this.redis.eval(ACQUIRE, keys.length, ...keys, ...args)) as number;
    return Number(wait);
  }
}
