import type { Redis } from 'ioredis';

/**
 * Redis's own clock in ms since the epoch: the one clock every process of a deployment shares, for
 * times that processes on different machines compare. Throws when Redis cannot be reached.
 */
export async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
