import { freePort } from '../../src/net/free-port.ts';
export { freePort };
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const RAPPORT_BIN = fileURLToPath(new URL('../../bin/rapport.js', import.meta.url));

export interface SpawnedRapport {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Runs `rapport <args>` as a real child process with a clean environment plus `env`. `nodeArgs` go to
 * node itself (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept); `bin` runs another checkout's
 * `bin/rapport.js` (a benchmark's baseline).
 */
export function spawnRapport(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { nodeArgs?: string[]; bin?: string } = {},
): SpawnedRapport {
  const cleanEnv: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k]) cleanEnv[k] = process.env[k]!;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
  // A Redis key prefix belongs to one deployment (one database): on the shared Redis each process a
  // test starts gets a prefix of its own unless the test names the Redis or the prefix.
  if (!('REDIS_URL' in env) && !('RAPPORT_QUEUE_PREFIX' in env))
    cleanEnv.RAPPORT_QUEUE_PREFIX = `{rapport-test-${randomBytes(4).toString('hex')}}`;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.bin ?? RAPPORT_BIN, ...args], {
    env: cleanEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * `rapport <args>` as a real child process on the embedded database in `dataDir` (held by a running test
 * process or not), without Redis (a command then queues nothing in the shared one): its exit code and all
 * it printed.
 */
export async function runRapportCli(dataDir: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawnRapport(args, { RAPPORT_DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'warn' });
  const code = await p.exited;
  return { code, out: p.output() };
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, proc?: SpawnedRapport): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (proc && proc.child.exitCode !== null)
      throw new Error(`rapport exited early (${proc.child.exitCode}):\n${proc.output()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${proc ? `:\n${proc.output()}` : ''}`);
}
