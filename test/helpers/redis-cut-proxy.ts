import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '../../src/net/free-port.ts';

/**
 * A TCP proxy in front of a Redis server that plays a failover at one chosen moment: right after Redis
 * answered a command the test names (e.g. the prefix claim, a Lua EVAL), the commands that follow on
 * that connection for a second are answered `-READONLY` (the primary was demoted under the client),
 * then every connection is cut and new ones are refused (accepted and closed at once) for `downMs`.
 * (A plain cut fails no command: ioredis sends the commands it had written again after it reconnects.)
 */
export interface RedisCutProxy {
  url: string;
  /** Plays the failover once, after Redis answers the next command whose RESP text matches `pattern`. */
  cutAfter(pattern: RegExp, downMs: number): void;
  /** Whether the failover happened. */
  isCut(): boolean;
  close(): Promise<void>;
}

const READONLY = "-READONLY You can't write against a read only replica.\r\n";

export async function startRedisCutProxy(target: { host?: string; port: number }): Promise<RedisCutProxy> {
  const port = await freePort();
  const pairs = new Set<{ client: Socket; server: Socket }>();
  let trap: { pattern: RegExp; downMs: number } | undefined;
  let downUntil = 0;
  let cutDone = false;

  const cutAll = (downMs: number) => {
    downUntil = Date.now() + downMs;
    for (const p of pairs) {
      p.server.destroy();
      p.client.destroy();
    }
    pairs.clear();
    cutDone = true;
  };

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (Date.now() < downUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host ?? '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair = { client, server: upstream };
    pairs.add(pair);
    let tail = '';
    // Set when this connection sent the command the trap waits for; then when its answer went back.
    let armed: number | undefined;
    let failing: { pending: string } | undefined;
    client.on('data', (chunk: Buffer) => {
      if (failing) {
        // Every complete command is answered READONLY until the cut.
        failing.pending += chunk.toString('latin1');
        const { count, rest } = countCommands(failing.pending);
        failing.pending = rest;
        if (count > 0) client.write(READONLY.repeat(count));
        return;
      }
      if (!pairs.has(pair)) return; // cut: nothing more reaches Redis
      if (trap && armed === undefined) {
        // The pattern is looked for in the whole chunk (with the end of the one before, for a command split
        // across two): on a loaded machine one chunk holds many commands, and cutting the chunk to its last
        // 4 kB first lost a claim followed by a few kB of other commands (the failover then never came).
        const seen = tail + chunk.toString('latin1');
        tail = seen.slice(-4096);
        if (trap.pattern.test(seen)) {
          armed = trap.downMs;
          trap = undefined;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!pairs.has(pair)) return;
      client.write(chunk);
      if (armed !== undefined) {
        // The answer (to the trapped command) went back: what the client sends next meets the failover.
        const downMs = armed;
        armed = undefined;
        failing = { pending: '' };
        upstream.destroy();
        setTimeout(() => cutAll(downMs), 1_000);
      }
    });
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => {
      if (!failing && pairs.delete(pair)) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    cutAfter(pattern, downMs) {
      trap = { pattern, downMs };
    },
    isCut: () => cutDone,
    async close() {
      for (const p of pairs) {
        p.server.destroy();
        p.client.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How many complete RESP commands (arrays of bulk strings) `text` holds, and what follows them. */
function countCommands(text: string): { count: number; rest: string } {
  let count = 0;
  let at = 0;
  for (;;) {
    const end = parseCommand(text, at);
    if (end === undefined) return { count, rest: text.slice(at) };
    count++;
    at = end;
  }
}

function parseCommand(text: string, at: number): number | undefined {
  const line = (from: number) => {
    const eol = text.indexOf('\r\n', from);
    return eol < 0 ? undefined : { value: text.slice(from + 1, eol), next: eol + 2 };
  };
  const head = line(at);
  if (!head || text[at] !== '*') return undefined;
  let next = head.next;
  for (let i = 0; i < Number(head.value); i++) {
    const bulk = line(next);
    if (!bulk) return undefined;
    next = bulk.next + Number(bulk.value) + 2;
    if (next > text.length) return undefined;
  }
  return next;
}
