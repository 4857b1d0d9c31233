import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startProcess, type RunningProcess } from '../../app/start-process.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { createScratchPostgres } from './test-database.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestProcess {
  proc: RunningProcess;
  /** Base URL of its HTTP server. */
  url: string;
  /** Its Redis key prefix (RAPPORT_QUEUE_PREFIX), unique per process. */
  prefix: string;
  dataDir: string;
  /** Shuts it down, deletes its Redis keys, its PostgreSQL database and its data dir. */
  dispose(): Promise<void>;
}

/**
 * A real Rapport (startProcess, in this test's process) on a database of the given kind: in-memory
 * defaults are a fresh data dir (PGlite) or a scratch PostgreSQL database, its own Redis prefix,
 * port 0 on loopback and a silent log. `env` adds or overrides settings (Slack, Teams, ...).
 */
export async function startTestProcess(
  kind: 'pglite' | 'postgres',
  env: Record<string, string> = {},
  opts: { name?: string; logger?: Logger } = {},
): Promise<TestProcess> {
  const name = opts.name ?? 'process';
  const dataDir = mkdtempSync(join(tmpdir(), `rapport-${name}-`));
  const prefix = `{rapport-${name}-${randomBytes(4).toString('hex')}}`;
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const cleanUp = async () => {
    const redis = connectRedis(REDIS_URL);
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let proc: RunningProcess;
  try {
    const config = loadConfig({
      RAPPORT_DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL,
      RAPPORT_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
      ...env,
    });
    proc = await startProcess(config, opts.logger ?? createLogger('silent'));
  } catch (err) {
    await cleanUp();
    throw err;
  }
  return {
    proc,
    url: proc.url,
    prefix,
    dataDir,
    async dispose() {
      await proc.shutdown('test over');
      await cleanUp();
    },
  };
}

/** A logger at `level` whose JSON lines are appended to `lines`, for tests that read what was logged. */
export function loggerInto(lines: string[], level: string): Logger {
  return createLogger(
    level,
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
}
