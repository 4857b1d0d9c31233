import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens an ioredis connection. `forWorker` sets `maxRetriesPerRequest: null`, which BullMQ workers
 * require (a blocking command must wait out a Redis restart instead of failing).
 */
export function connectRedis(url: string, opts: { forWorker?: boolean; lazy?: boolean } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.forWorker ? null : 3,
    enableReadyCheck: true,
    lazyConnect: opts.lazy ?? false,
    // Back off up to 2 s between reconnects; never give up (Redis restarts are routine).
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return new Redis(url, options);
}

/** True when a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
