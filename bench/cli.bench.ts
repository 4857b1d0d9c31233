/**
 * How long a one-off CLI call takes, against a running bot on the embedded database (the normal
 * state: `rapport exec` then asks that process over its local HTTP API). Wall time of each call as a
 * person types it, and its CPU time (which other work on a busy machine inflates far less), medians
 * of RAPPORT_BENCH_RUNS (10):
 *
 * - `node -e 0`: the floor (what node alone costs on this machine at this load);
 * - `node bin/rapport.js --help`;
 * - `node bin/rapport.js exec help`;
 * - `npx rapport exec help` (npx adds its own start-up).
 *
 * RAPPORT_BENCH_NPX=0 leaves the npx line out (the first `npx rapport` in a checkout installs the
 * project into npm's npx cache, which runs its postinstall: a build of its own).
 *
 * Starts its own bot (own data dir, free port, own RAPPORT_QUEUE_PREFIX) and stops it. Needs a fresh
 * build (`npm run build`), as bin/rapport.js runs dist/ only then. Run: npm run bench:cli
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBuild } from '../bin/fresh-build.js';
import { freePort, RAPPORT_BIN, spawnRapport, waitForHttp } from '../test/helpers/spawn-rapport.ts';

const RUNS = Number(process.env.RAPPORT_BENCH_RUNS ?? 10);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!freshBuild()) {
  console.error('dist/ is missing or older than the sources: run `npm run build` first.');
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-cli-'));
const port = await freePort();
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  // npx looks for the project's own bin through npm's config; keep npm's cache where the user has it.
  ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
  RAPPORT_DATA_DIR: dataDir,
  PORT: String(port),
  RAPPORT_QUEUE_PREFIX: `{rapport-bench-cli-${randomBytes(4).toString('hex')}}`,
  LOG_LEVEL: 'warn',
};

/**
 * Wall time and CPU time (user + system, the call and its children, from /usr/bin/time) of one call,
 * in ms; CPU time says what the call costs when other work shares the machine. Fails when the call
 * fails or does not say what it should.
 */
function measure(command: string, args: string[], expect: RegExp): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', command, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !expect.test(r.stdout) || !cpu)
    throw new Error(`${command} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { wall, cpu: (Number(cpu[1]) + Number(cpu[2])) * 1000 };
}

const calls: Array<{ name: string; command: string; args: string[]; expect: RegExp }> = [
  { name: 'node -e 0 (floor)', command: process.execPath, args: ['-e', '0'], expect: /^/ },
  { name: 'rapport --help', command: process.execPath, args: [RAPPORT_BIN, '--help'], expect: /Usage: rapport/ },
  { name: 'rapport exec help', command: process.execPath, args: [RAPPORT_BIN, 'exec', 'help'], expect: /remind/ },
  { name: 'npx node -e 0 (npx floor)', command: 'npx', args: ['node', '-e', '0'], expect: /^/ },
  { name: 'npx rapport exec help', command: 'npx', args: ['rapport', 'exec', 'help'], expect: /remind/ },
].filter((c) => process.env.RAPPORT_BENCH_NPX !== '0' || c.command !== 'npx');

const bot = spawnRapport(['start'], env);
try {
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, bot);
  console.log(`cli bench: ${RUNS} runs each, against a running bot on the embedded database (port ${port})`);
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const c of calls) measure(c.command, c.args, c.expect); // warm the file cache once
  for (const c of calls) {
    const runs = Array.from({ length: RUNS }, () => measure(c.command, c.args, c.expect));
    const wall = runs.map((r) => r.wall);
    console.log(
      `${c.name.padEnd(24)} wall median ${Math.round(median(wall))} ms (min ${Math.round(Math.min(...wall))}, max ${Math.round(Math.max(...wall))}), cpu median ${Math.round(median(runs.map((r) => r.cpu)))} ms`,
    );
  }
  console.log(
    `load average after:  ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  bot.child.kill('SIGTERM');
  await bot.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
