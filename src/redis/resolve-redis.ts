import type { Config } from '../config/env.ts';
import type { Logger } from '../logger.ts';
import { RapportError } from '../errors.ts';
import { redact } from '../config/env.ts';
import { redisAnswers } from './connect-redis.ts';
import { startPrivateRedis, type PrivateRedis } from './private-redis-server.ts';

/**
 * Finds the Redis to use: REDIS_URL when set (it must answer); otherwise 127.0.0.1:6379 when it
 * answers; otherwise a private redis-server under the data dir (zero-config laptop start).
 * `RAPPORT_PRIVATE_REDIS=always` skips the probe and always starts a private one; `never` forbids it.
 */
export async function resolveRedis(
  config: Config,
  logger: Logger,
): Promise<{ url: string; privateRedis?: PrivateRedis }> {
  if (config.privateRedis !== 'always') {
    if (await redisAnswers(config.redisUrl)) return { url: config.redisUrl };
    if (config.redisUrlExplicit || config.privateRedis === 'never') {
      throw new RapportError(
        'unavailable',
        `Redis at ${redact(config.redisUrl)} does not answer. Start it (redis-server), or fix REDIS_URL` +
          (config.redisUrlExplicit
            ? '; unset REDIS_URL to let Rapport start a private redis-server on this machine.'
            : '.'),
      );
    }
    logger.info({ tried: config.redisUrl }, 'no Redis answers at the default address; starting a private redis-server');
  }
  const privateRedis = await startPrivateRedis(config.dataDir);
  logger.info({ url: privateRedis.url }, 'private redis-server started');
  return { url: privateRedis.url, privateRedis };
}
