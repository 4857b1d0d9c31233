import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisAddress } from './redis-address.ts';

/**
 * Opens an ioredis connection to REDIS_URL's Redis: one server (`redis://`, `rediss://` with TLS), the
 * primary a set of sentinels names (`redis+sentinel://`), or a Redis Cluster (`redis+cluster://`; see
 * redis-address.ts). `forWorker` sets `maxRetriesPerRequest: null`, which BullMQ workers require (a
 * blocking command must wait out a Redis restart instead of failing). A Cluster is returned typed as
 * `Redis`: BullMQ and every command Rapport sends work on both (its keys share one hash tag).
 * TLS certificates are checked against Node's CAs; a private CA goes in NODE_EXTRA_CA_CERTS.
 */
export function connectRedis(url: string, opts: { forWorker?: boolean; lazy?: boolean } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.forWorker ? null : 3,
    enableReadyCheck: true,
    lazyConnect: opts.lazy ?? false,
    // Back off up to 2 s between reconnects; never give up (Redis restarts are routine).
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  return open(url, options);
}

function open(url: string, options: RedisOptions): Redis {
  const address = parseRedisAddress(url);
  if (address.kind === 'server') return new Redis(url, options);
  const auth = { username: address.username, password: address.password };
  if (address.kind === 'sentinel')
    return new Redis({
      ...options,
      ...auth,
      sentinels: address.sentinels,
      name: address.name,
      db: address.db,
      ...(address.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      sentinelRetryStrategy: (times: number) => options.retryStrategy?.(times) ?? null,
    });
  const { retryStrategy, lazyConnect, ...nodeOptions } = options;
  return new Cluster(address.nodes, {
    lazyConnect,
    clusterRetryStrategy: retryStrategy,
    enableReadyCheck: options.enableReadyCheck,
    maxRedirections: 16,
    redisOptions: { ...nodeOptions, ...auth, ...(address.tls ? { tls: {} } : {}) },
  }) as unknown as Redis;
}

/** True when a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = open(url, {
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
