import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { freePort, spawnRapport, waitForHttp } from '../helpers/spawn-rapport.ts';
import { createScratchPostgres } from '../helpers/test-database.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Outcome {
  status?: number;
  connectionClose?: boolean;
  error?: string;
}

/** One request on a keep-alive agent; resolves with what happened instead of throwing. */
function send(agent: Agent, port: number, path: string, body?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        method: body ? 'POST' : 'GET',
        headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, connectionClose: res.headers.connection === 'close' }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

describe('SIGTERM under keep-alive load (real process)', () => {
  it('stops accepting, answers every request already on a connection (Connection: close), resets none and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rapport-drain-'));
    dirs.push(dataDir);
    const scratch = await createScratchPostgres();
    const prefix = `{rapport-drain-${randomBytes(4).toString('hex')}}`;
    const port = await freePort();
    const bot = spawnRapport(['start'], {
      RAPPORT_DATA_DIR: dataDir,
      DATABASE_URL: scratch.url,
      PORT: String(port),
      LOG_LEVEL: 'info',
      RAPPORT_QUEUE_PREFIX: prefix,
      RAPPORT_ROLE: 'web',
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 150_000, bot);
      const outcomes: Outcome[] = [];
      let signalled = false;
      const answered = new Set<number>();
      let servedAfterSignal = 0;
      // 24 clients, each on its own keep-alive connection, back to back: a cheap route and one that
      // reads the database (so a pool closed too early would show as a 5xx).
      const client = async (n: number) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let i = 0; ; i++) {
            const o =
              i % 2 === 0
                ? await send(agent, port, '/healthz')
                : await send(agent, port, '/api/command', JSON.stringify({ text: `lookup acme ${n}` }));
            outcomes.push(o);
            if (o.status) answered.add(n);
            if (signalled && o.status) servedAfterSignal++;
            // The process stopped listening: a new connection is refused, which is the end of the run.
            if (o.error === 'ECONNREFUSED') return;
          }
        } finally {
          agent.destroy();
        }
      };
      const clients = Array.from({ length: 24 }, (_, n) => client(n));
      // Every client's connection is open and in use (not waiting in the listen backlog: a connection
      // the process never accepted is reset by the kernel when it stops listening, drain or not).
      const deadline = Date.now() + 30_000;
      while (answered.size < 24 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(answered.size).toBe(24);
      await new Promise((r) => setTimeout(r, 500));
      signalled = true;
      bot.child.kill('SIGTERM');
      const code = await bot.exited;
      await Promise.all(clients);

      const errors = outcomes.filter((o) => o.error && o.error !== 'ECONNREFUSED');
      expect(errors).toEqual([]);
      expect(outcomes.filter((o) => o.status !== undefined && o.status !== 200)).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(48);
      // Requests already on their way were answered, each telling its client to reconnect elsewhere.
      expect(servedAfterSignal).toBeGreaterThan(0);
      expect(outcomes.some((o) => o.connectionClose)).toBe(true);
      expect(code).toBe(0);
      expect(bot.output()).not.toMatch(/Cannot use a pool|did not finish in time/);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
      await scratch.drop();
      const redis = connectRedis('redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  }, 240_000);
});
