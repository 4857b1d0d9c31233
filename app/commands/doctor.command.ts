import { loadConfig, ConfigError, redact, type Config } from '../../src/config/env.ts';
import { hasMigrationTable } from '../../src/db/database-status.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { readDataDirLock, servesHttp } from '../../src/db/data-dir-lock.ts';
import { askRunningRapport } from '../../src/net/running-rapport.ts';
import { redisAnswers } from '../../src/redis/connect-redis.ts';
import { redisServerOnPath } from '../../src/redis/private-redis-server.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import type { DoctorCheck, DoctorResult } from '../../src/runtime/doctor-check.ts';
import { doctorChecks } from '../doctor-checks.ts';

/**
 * `rapport doctor`: checks configuration, database, Redis and every configured connector, and
 * prints for each what is wrong and how to fix it. Exit code 1 when anything needs fixing.
 */
export const doctorCommand: CliCommand = async () => {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print({ name: 'config', ok: false, detail: err.problems.join('\n      ') });
    return 1;
  }
  print({
    name: 'config',
    ok: true,
    detail: `valid (role ${config.role}, ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`})`,
  });
  let ok = true;
  for (const check of [databaseCheck, redisCheck, ...doctorChecks]) {
    let result: DoctorResult;
    try {
      result = await check(config);
    } catch (err) {
      result = { name: check.name, ok: false, detail: (err as Error).message };
    }
    print(result);
    ok &&= result.ok;
  }
  return ok ? 0 : 1;
};

function print(r: DoctorResult): void {
  console.log(`${r.ok ? '✔' : '✘'} ${r.name}: ${r.detail}${r.fix && !r.ok ? `\n    fix: ${r.fix}` : ''}`);
}

const databaseCheck: DoctorCheck = async (config) => {
  if (!config.databaseUrl) {
    const running = readDataDirLock(config.dataDir);
    if (running && servesHttp(running)) {
      // The embedded database is open in the running bot; ask it instead of opening the files twice.
      const answer = await askRunningRapport(running, '/readyz', { token: config.consoleToken });
      const body = (answer.reached ? answer.json : undefined) as
        | { checks?: Record<string, { ok: boolean; detail: string }> }
        | undefined;
      const db = body?.checks?.database;
      return {
        name: 'database',
        ok: db?.ok ?? false,
        detail: db
          ? `${db.detail}, open in the running bot (pid ${running.pid})`
          : `the running bot (pid ${running.pid}) did not answer at ${running.url}`,
      };
    }
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false }).catch(
    (err: Error) => err,
  );
  if (db instanceof Error) {
    return {
      name: 'database',
      ok: false,
      detail: db.message,
      fix: config.databaseUrl
        ? `check that PostgreSQL runs and DATABASE_URL (${redact(config.databaseUrl)}) is right`
        : 'check RAPPORT_DATA_DIR is writable',
    };
  }
  try {
    const migrated = await hasMigrationTable(db.sql);
    return {
      name: 'database',
      ok: true,
      detail: `${db.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'} reachable${migrated ? '' : ' (not migrated yet: `rapport migrate` or `rapport start` will do it)'}`,
    };
  } finally {
    await db.close();
  }
};

const redisCheck: DoctorCheck = async (config) => {
  if (await redisAnswers(config.redisUrl))
    return { name: 'redis', ok: true, detail: `answers at ${redact(config.redisUrl)}` };
  if (!config.redisUrlExplicit && config.privateRedis !== 'never' && redisServerOnPath()) {
    return {
      name: 'redis',
      ok: true,
      detail: 'nothing at 127.0.0.1:6379; `rapport start` will run a private redis-server',
    };
  }
  return {
    name: 'redis',
    ok: false,
    detail: `no answer at ${redact(config.redisUrl)}`,
    fix: 'start Redis (apt-get install redis-server / brew install redis) or set REDIS_URL to a running one',
  };
};
