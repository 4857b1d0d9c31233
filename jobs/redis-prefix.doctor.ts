import { readInstallationId } from '../src/db/installation.repository.ts';
import type { Config } from '../src/config/env.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { readDataDirLock } from '../src/db/data-dir-lock.ts';
import { connectRedis, redisAnswers } from '../src/redis/connect-redis.ts';
import { PrefixOwner, prefixTakenError } from './prefix-owner.ts';

/** `rapport doctor`: whether the Redis key prefix (RAPPORT_QUEUE_PREFIX) is this deployment's. */
export async function redisPrefixDoctorCheck(config: Config) {
  const name = 'redis prefix';
  const prefix = config.queuePrefix;
  if (!(await redisAnswers(config.redisUrl)))
    return { name, ok: true, detail: 'Redis not reachable from here; cannot check who owns the prefix' };
  const redis = connectRedis(config.redisUrl);
  try {
    const owner = await redis.get(new PrefixOwner(redis, prefix, '').key);
    const ours = await installId(config);
    if (ours === 'running') {
      // The embedded database is open in the running bot: its own readiness check knows.
      const lock = readDataDirLock(config.dataDir)!;
      const body = (await fetch(`${lock.url}/readyz`)
        .then((r) => r.json())
        .catch(() => undefined)) as { checks?: Record<string, { ok: boolean; detail: string }> } | undefined;
      const check = body?.checks?.[name];
      return check
        ? { name, ok: check.ok, detail: `${check.detail} (the running bot, pid ${lock.pid})` }
        : { name, ok: false, detail: `the running bot did not answer at ${lock.url}` };
    }
    if (!owner) return { name, ok: true, detail: `"${prefix}" is not claimed yet; the first start claims it` };
    if (!ours) return { name, ok: true, detail: `"${prefix}" is claimed by install ${owner}` };
    if (owner === ours) return { name, ok: true, detail: `"${prefix}" is this deployment's (install ${ours})` };
    return {
      name,
      ok: false,
      detail: prefixTakenError(prefix, owner).message,
      fix: 'set RAPPORT_QUEUE_PREFIX to a prefix no other deployment uses',
    };
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** This database's install id; undefined before the first start; `running` when the embedded database is open elsewhere. */
async function installId(config: Config): Promise<string | undefined | 'running'> {
  if (!config.databaseUrl && readDataDirLock(config.dataDir)?.url) return 'running';
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false }).catch(
    () => undefined,
  );
  if (!db) return undefined;
  try {
    return await readInstallationId(db.sql).catch(() => undefined);
  } finally {
    await db.close();
  }
}
