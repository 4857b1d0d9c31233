import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnRapport, waitForHttp } from '../helpers/spawn-rapport.ts';

// The compiled build in a copy of the checkout (the real dist/ may be in use by other tests' processes):
// `npm run build`'s script, then `rapport` from dist/, as after `npm install && npm start`. The build
// (tsc, the slow part) runs once; each test then gets its own copy of the built checkout, so what one
// test changes no other sees.
const repo = new URL('../..', import.meta.url).pathname;
const PARTS = ['src', 'connectors', 'jobs', 'app', 'bin', 'prisma', 'training-data', 'package.json', 'tsconfig.json'];
let built: string;
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

function copyCheckout(from: string, parts: string[]): string {
  const to = tempDir('rapport-build-');
  for (const p of parts) cpSync(join(from, p), join(to, p), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(to, 'node_modules'));
  return to;
}

beforeAll(() => {
  built = copyCheckout(repo, [...PARTS, 'tsconfig.build.json', 'scripts/build.mjs']);
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: built, encoding: 'utf8' });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}, 600_000);

afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/**
 * One request on its own connection: while the process trains its default model the event loop stalls
 * for seconds, and a reused keep-alive socket can be closed under the next request (not what this tests).
 */
function request(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const rapport = (checkout: string, args: string[]) =>
  spawnSync(process.execPath, [join(checkout, 'bin/rapport.js'), ...args], { cwd: checkout, encoding: 'utf8' });

/** A copy of the built checkout whose compiled entry point prints a line only it prints. */
function markedCheckout(): string {
  const copy = copyCheckout(built, [...PARTS, 'dist']);
  const entry = join(copy, 'dist/app/cli.js');
  writeFileSync(entry, `console.log('[compiled]');\n${readFileSync(entry, 'utf8')}`);
  // Copying touched the folders: the copy counts as built now, as after an `npm run build` here.
  writeFileSync(join(copy, 'dist/build-stamp.json'), JSON.stringify({ startedAt: Date.now() + 1 }));
  return copy;
}

describe('compiled build', () => {
  it('starts from dist/: migrations, the default model, the console page, classification on its thread and an orderly SIGTERM all work', async () => {
    const copy = markedCheckout();
    const dataDir = tempDir('rapport-build-data-');
    const port = await freePort();
    const proc = spawnRapport(
      ['start'],
      { RAPPORT_DATA_DIR: dataDir, PORT: String(port), RAPPORT_QUEUE_PREFIX: `{build-${port}}`, LOG_LEVEL: 'warn' },
      { bin: join(copy, 'bin/rapport.js') },
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 90_000, proc);
      expect(proc.output()).toContain('[compiled]');
      const page = await request(port, 'GET', '/console');
      expect(page.status).toBe(200);
      expect(page.body).toContain('<html');
      const reply = await request(port, 'POST', '/api/command', JSON.stringify({ text: 'help' }));
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).title).toBe('Rapport commands');
      // The classifier thread starts from its compiled entry (dist/jobs/classifier-thread.entry.js).
      const logged = await request(
        port,
        'POST',
        '/api/command',
        JSON.stringify({ text: 'log Globex "Quote for 40 seats by Friday" --new', user: 'jo' }),
      );
      expect(logged.status).toBe(200);
      const counted = /rapport_classifier_thread_messages_total\{role="all"\} 1\b/;
      let metrics = '';
      for (const deadline = Date.now() + 60_000; !counted.test(metrics) && Date.now() < deadline; )
        metrics = await new Promise((r) => setTimeout(r, 200)).then(
          async () => (await request(port, 'GET', '/metrics')).body,
        );
      expect(metrics).toMatch(counted);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      // A failed step must not leave the bot running after the test.
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });

  it('runs dist/ while it is fresh and the sources once one changes after the build', () => {
    const copy = markedCheckout();
    const fresh = rapport(copy, ['--help']);
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toContain('[compiled]');
    expect(fresh.stdout).toContain('Usage: rapport <command>');

    const later = Date.now() / 1000 + 5;
    utimesSync(join(copy, 'src/logger.ts'), later, later);
    const edited = rapport(copy, ['--help']);
    expect(edited.status).toBe(0);
    expect(edited.stdout).not.toContain('[compiled]');
    expect(edited.stdout).toContain('Usage: rapport <command>');
  });

  it('runs the sources when the build never finished (no stamp)', () => {
    const copy = markedCheckout();
    rmSync(join(copy, 'dist/build-stamp.json'));
    const r = rapport(copy, ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('[compiled]');
  });
});
