import net from 'node:net';

/** A TCP proxy a test can cut: while it is down, every open connection is reset and new ones are dropped at once. */
export interface TcpProxy {
  port: number;
  /** Resets every connection through it and drops new ones until `up`. */
  down(): void;
  up(): void;
  /**
   * Holds what clients send (nothing reaches the server, connections stay open) until `release`: a
   * stalled link. `held` says how many bytes wait, so a test knows a client's next command is stuck.
   */
  hold(): void;
  release(): void;
  readonly held: number;
  /** Connections dropped while down (a client trying again shows here). */
  readonly refused: number;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1 and forwards each connection to `target` (a real server: a database, Redis). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let isDown = false;
  let refused = 0;
  let holding = false;
  const waiting: Array<{ upstream: net.Socket; chunk: Buffer }> = [];
  const server = net.createServer((client) => {
    if (isDown) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (holding) waiting.push({ upstream, chunk });
      else if (!upstream.destroyed) upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const down = () => {
    isDown = true;
    for (const s of open) s.resetAndDestroy();
    open.clear();
  };
  return {
    port,
    down,
    up() {
      isDown = false;
    },
    get refused() {
      return refused;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const { upstream, chunk } of waiting.splice(0)) if (!upstream.destroyed) upstream.write(chunk);
    },
    get held() {
      return waiting.reduce((n, w) => n + w.chunk.length, 0);
    },
    async close() {
      down();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
