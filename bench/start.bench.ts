/**
 * Cold start: spawn `rapport start` and time /healthz (alive) and /readyz (database migrated, Redis,
 * components up). Five runs on a new data dir (first start: PGlite creates its cluster and applies
 * every migration) and five on an existing one. Prints medians. Run: npm run bench:start
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnRapport, waitForHttp } from '../test/helpers/spawn-rapport.ts';

const RUNS = Number(process.env.RAPPORT_BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(dataDir: string): Promise<{ healthz: number; readyz: number }> {
  const port = await freePort();
  const started = Date.now();
  const proc = spawnRapport(['start'], { RAPPORT_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
  const healthz = await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, proc).then(() => Date.now() - started);
  const readyz = await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000, proc).then(() => Date.now() - started);
  proc.child.kill('SIGTERM');
  await proc.exited;
  return { healthz, readyz };
}

const fresh: Array<{ healthz: number; readyz: number }> = [];
const existing: Array<{ healthz: number; readyz: number }> = [];
const dirs: string[] = [];
for (let i = 0; i < RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-start-'));
  dirs.push(dir);
  fresh.push(await once(dir));
  existing.push(await once(dir));
}
for (const d of dirs) rmSync(d, { recursive: true, force: true });
const show = (label: string, rs: typeof fresh) =>
  console.log(
    `${label.padEnd(22)} /healthz median ${median(rs.map((r) => r.healthz))} ms (runs: ${rs.map((r) => r.healthz).join(', ')}); /readyz median ${median(rs.map((r) => r.readyz))} ms (runs: ${rs.map((r) => r.readyz).join(', ')})`,
  );
console.log(`bench:start, ${RUNS} runs each, PGlite, node ${process.version}`);
show('new data dir', fresh);
show('existing data dir', existing);
