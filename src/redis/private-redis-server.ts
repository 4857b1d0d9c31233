import { freePort } from '../net/free-port.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RapportError } from '../errors.ts';
import { redisAnswers } from './connect-redis.ts';

/** A redis-server child process started for this Rapport process only. */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/** True when `redis-server` is on PATH. */
export function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `redis-server` on a free loopback port with its files under `<dataDir>/redis`.
 * It is bound to 127.0.0.1 and dies with this process (it is stopped on shutdown, and
 * `--port` is private so a leftover cannot be mistaken for a shared server). `port` picks the port
 * (tests restart a Redis where its clients expect it).
 */
export async function startPrivateRedis(dataDir: string, opts: { port?: number } = {}): Promise<PrivateRedis> {
  if (!redisServerOnPath()) {
    throw new RapportError(
      'unavailable',
      'No Redis answers at 127.0.0.1:6379 and redis-server is not installed. Install Redis ' +
        '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a running Redis.',
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url, 200)) {
      return {
        url,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RapportError(
    'unavailable',
    `redis-server did not start on port ${port}; run it by hand to see why, or set REDIS_URL.`,
  );
}
