import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitForHttp } from '../helpers/spawn-rapport.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Pids still alive in process group `pgid` (ps lists the group's members). */
function groupMembers(pgid: number): string[] {
  const ps = spawnSync('ps', ['-o', 'pid=,stat=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/\sZ/.test(l.split(/\s+/).slice(0, 2).join(' ')));
}

/**
 * `npm start` the way Docker (`CMD npm start`) and process managers run it: npm is the main pid of its
 * own process group. A signal goes either to npm alone or to the whole group.
 */
describe('npm start and signals (real processes)', () => {
  const cases: Array<{ signal: NodeJS.Signals; to: 'npm' | 'group' }> = [
    { signal: 'SIGTERM', to: 'npm' },
    { signal: 'SIGINT', to: 'npm' },
    { signal: 'SIGTERM', to: 'group' },
    { signal: 'SIGINT', to: 'group' },
  ];
  for (const { signal, to } of cases)
    it(`${signal} to the ${to === 'npm' ? 'npm pid' : 'process group'}: npm exits 0, the bot drains, nothing is left running`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'rapport-npm-signal-'));
      dirs.push(dataDir);
      const port = await freePort();
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          RAPPORT_DATA_DIR: dataDir,
          PORT: String(port),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, like a container's
      });
      let out = '';
      npm.stdout!.on('data', (d) => (out += d));
      npm.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        npm.once('exit', (c, s) => resolve([c, s])),
      );
      const pgid = npm.pid!;
      try {
        await waitForHttp(`http://127.0.0.1:${port}/readyz`, 90_000);
        // The first start builds the default model on the process's thread (seconds on a busy machine):
        // signal once it is in, so the drain's 10 s bound measures the drain.
        const modelDeadline = Date.now() + 90_000;
        while (!/classifier model loaded|default CRM model built/.test(out) && Date.now() < modelDeadline)
          await new Promise((r) => setTimeout(r, 100));
        process.kill(to === 'npm' ? pgid : -pgid, signal);
        const [code, bySignal] = await exited;
        if (code !== 0) console.log(out.slice(-4000));
        expect({ code, bySignal }).toEqual({ code: 0, bySignal: null });
        expect(out).toContain('"msg":"stopped"');
        // Nothing of the group outlives npm: the bot released its port and its data-dir lock.
        const deadline = Date.now() + 5_000;
        while (groupMembers(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(groupMembers(pgid)).toEqual([]);
        const listening = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          () => true,
          () => false,
        );
        expect(listening).toBe(false);
      } finally {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, 150_000);
});
