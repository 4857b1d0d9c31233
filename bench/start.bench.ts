/**
 * Start-up, compiled build (dist/) side by side with the sources through tsx (what bin/rapport.js ran
 * before the build existed, and still runs when dist/ is missing or older than the sources):
 *
 * - `rapport --help`: wall time, median of RAPPORT_BENCH_HELP_RUNS (10), next to `node -e 0` (the
 *   floor: what node alone costs on this machine at this load).
 * - `rapport start`: time to /healthz (alive) and /readyz (database migrated, Redis, components up)
 *   and the process's RSS at each, on a new data dir (first start: PGlite creates its cluster from the
 *   template and applies every migration) and on an existing one; median of RAPPORT_BENCH_RUNS (5).
 *
 * Needs a fresh build (`npm run build`). Run: npm run bench:start
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBuild } from '../bin/fresh-build.js';
import { freePort, RAPPORT_BIN, spawnRapport, waitForHttp } from '../test/helpers/spawn-rapport.ts';

const RUNS = Number(process.env.RAPPORT_BENCH_RUNS ?? 5);
const HELP_RUNS = Number(process.env.RAPPORT_BENCH_HELP_RUNS ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CLI_SOURCE = fileURLToPath(new URL('../app/cli.ts', import.meta.url));

interface Mode {
  name: string;
  /** What `node` runs: bin/rapport.js (dist/ when fresh) or the sources through tsx. */
  bin: string;
  nodeArgs: string[];
}
const modes: Mode[] = [
  { name: 'compiled (dist/)', bin: RAPPORT_BIN, nodeArgs: [] },
  { name: 'sources via tsx', bin: CLI_SOURCE, nodeArgs: ['--import', 'tsx'] },
];

if (!freshBuild()) {
  console.error('dist/ is missing or older than the sources: run `npm run build` first.');
  process.exit(1);
}

function wall(args: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Resident set size of a live process, in MB (Linux). */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

interface StartRun {
  healthz: number;
  readyz: number;
  rssHealthz: number;
  rssReadyz: number;
}

async function start(mode: Mode, dataDir: string): Promise<StartRun> {
  const port = await freePort();
  const started = Date.now();
  const proc = spawnRapport(
    ['start'],
    { RAPPORT_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    { bin: mode.bin, nodeArgs: mode.nodeArgs },
  );
  const pid = proc.child.pid!;
  const healthz = await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, proc).then(() => Date.now() - started);
  const rssHealthz = rssMb(pid);
  const readyz = await waitForHttp(`http://127.0.0.1:${port}/readyz`, 90_000, proc).then(() => Date.now() - started);
  const rssReadyz = rssMb(pid);
  proc.child.kill('SIGTERM');
  await proc.exited;
  return { healthz, readyz, rssHealthz, rssReadyz };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`bench:start, node ${process.version}, load average at start ${load()}`);

// --help, interleaved so both modes see the same load.
const help: Record<string, number[]> = { 'node -e 0': [] };
for (const m of modes) help[m.name] = [];
for (let i = 0; i < HELP_RUNS; i++) {
  help['node -e 0'].push(wall(['-e', '0']));
  for (const m of modes) help[m.name].push(wall([...m.nodeArgs, m.bin, '--help']));
}
const helpMedian = Object.fromEntries(Object.entries(help).map(([k, xs]) => [k, median(xs)]));
console.log(`\nrapport --help, median of ${HELP_RUNS} (wall ms):`);
for (const [k, ms] of Object.entries(helpMedian))
  console.log(
    `  ${k.padEnd(18)} ${ms.toFixed(0).padStart(5)} ms  (${(ms / helpMedian['sources via tsx']).toFixed(2)}x tsx; runs ${help[k].map((x) => x.toFixed(0)).join(', ')})`,
  );

// start, interleaved per run: new data dir then the same dir again, each mode.
const runs: Record<string, { fresh: StartRun[]; existing: StartRun[] }> = {};
for (const m of modes) runs[m.name] = { fresh: [], existing: [] };
const dirs: string[] = [];
for (let i = 0; i < RUNS; i++) {
  for (const m of modes) {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-start-'));
    dirs.push(dir);
    runs[m.name].fresh.push(await start(m, dir));
    runs[m.name].existing.push(await start(m, dir));
  }
}
for (const d of dirs) rmSync(d, { recursive: true, force: true });

console.log(`\nrapport start, PGlite, median of ${RUNS}:`);
for (const which of ['fresh', 'existing'] as const) {
  console.log(`  ${which === 'fresh' ? 'new data dir' : 'existing data dir'}`);
  for (const m of modes) {
    const rs = runs[m.name][which];
    const base = runs['sources via tsx'][which];
    const f = (key: keyof StartRun) => median(rs.map((r) => r[key]));
    const ratio = (key: keyof StartRun) => (f(key) / median(base.map((r) => r[key]))).toFixed(2);
    console.log(
      `    ${m.name.padEnd(18)} /healthz ${f('healthz')} ms (${ratio('healthz')}x), RSS ${f('rssHealthz')} MB (${ratio('rssHealthz')}x); /readyz ${f('readyz')} ms (${ratio('readyz')}x), RSS ${f('rssReadyz')} MB (${ratio('rssReadyz')}x)`,
    );
  }
}
console.log(`\nload average at end ${load()}`);
