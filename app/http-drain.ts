import { Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * How long a keep-alive connection must have been idle before the drain closes it. Why not at once:
 * a client that just got an answer may already be sending its next request on that socket, and a
 * close crossing it on the wire is a reset the client cannot tell from a crash. A client that sends
 * within this window gets an answer with `Connection: close` instead; one that does not is closed.
 */
export const IDLE_CLOSE_GRACE_MS = 300;

/** Orderly HTTP shutdown for one server: see `drain()`. */
export interface HttpDrain {
  /**
   * Stops accepting connections; every answer from now on (those in flight included, when their
   * headers are not out yet) carries `Connection: close`; keep-alive connections idle for
   * `IDLE_CLOSE_GRACE_MS` are closed. Resolves when no connection is left.
   */
  drain(): Promise<void>;
  /** Destroys every connection (the shutdown bound passed). */
  closeAll(): void;
  /** Requests being answered right now. */
  readonly inFlight: number;
}

interface ConnectionState {
  busy: number;
  timer?: NodeJS.Timeout;
}

/** Tracks the server's connections and requests from now on, so `drain()` can close them in order. */
export function trackHttpConnections(server: Server, graceMs = IDLE_CLOSE_GRACE_MS): HttpDrain {
  const connections = new Map<Socket, ConnectionState>();
  const responses = new Set<ServerResponse>();
  let draining = false;
  let allClosed: (() => void) | undefined;

  const closeWhenIdle = (socket: Socket, state: ConnectionState) => {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      if (state.busy === 0) socket.destroy();
    }, graceMs);
    state.timer.unref();
  };

  server.on('connection', (socket: Socket) => {
    const state: ConnectionState = { busy: 0 };
    connections.set(socket, state);
    if (draining) closeWhenIdle(socket, state);
    socket.once('close', () => {
      clearTimeout(state.timer);
      connections.delete(socket);
      if (draining && connections.size === 0) allClosed?.();
    });
  });
  // Prepended: it must set the header before a route answers (some answer synchronously).
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = connections.get(req.socket);
    if (state) {
      state.busy++;
      clearTimeout(state.timer);
    }
    responses.add(res);
    if (draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      responses.delete(res);
      if (!state) return;
      state.busy--;
      if (draining && state.busy === 0) closeWhenIdle(req.socket, state);
    });
  });

  return {
    get inFlight() {
      return responses.size;
    },
    drain() {
      draining = true;
      const done = new Promise<void>((resolve) => {
        allClosed = resolve;
      });
      // net.Server's close, not http.Server's: the latter also destroys idle keep-alive sockets at
      // once (Node >= 19), racing requests already on their way.
      NetServer.prototype.close.call(server);
      for (const res of responses) if (!res.headersSent) res.setHeader('Connection', 'close');
      for (const [socket, state] of connections) if (state.busy === 0) closeWhenIdle(socket, state);
      if (connections.size === 0) allClosed?.();
      return done;
    },
    closeAll() {
      for (const socket of connections.keys()) socket.destroy();
    },
  };
}
