import type { AddressInfo } from 'node:net';
// ws 7 (installed through botbuilder) exports the server as WebSocket.Server, not as a named export.
import WebSocket from 'ws';

/** What the app sent back over the socket: acknowledgements `{ envelope_id, payload }`. */
export interface SocketModeReply {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

/**
 * A local stand-in for Slack's Socket Mode endpoint: greets each connection with `hello` the way
 * Slack does, lets a test send envelopes (`slash_commands`, `interactive`, `events_api`), and keeps
 * every acknowledgement the app sends back. The recorder's apps.connections.open hands out {@link url}.
 */
export class SocketModeServer {
  readonly replies: SocketModeReply[] = [];
  private server?: WebSocket.Server;
  private socket?: WebSocket;
  private connected?: Promise<WebSocket>;

  async start(): Promise<string> {
    this.server = new WebSocket.Server({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.server!.once('listening', () => resolve()));
    this.connected = new Promise((resolve) => {
      this.server!.on('connection', (socket) => {
        this.socket = socket;
        socket.on('message', (data) => this.replies.push(JSON.parse(String(data)) as SocketModeReply));
        socket.send(
          JSON.stringify({
            type: 'hello',
            num_connections: 1,
            debug_info: { host: 'local', approximate_connection_time: 3600 },
            connection_info: { app_id: 'A1' },
          }),
        );
        resolve(socket);
      });
    });
    return this.url;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server!.address() as AddressInfo).port}/link/?ticket=test`;
  }

  /** Resolves once the app has connected (and been greeted). */
  async connection(): Promise<void> {
    await this.connected;
  }

  /** Sends one envelope as Slack would: `{ envelope_id, type, payload, accepts_response_payload }`. */
  send(
    envelopeId: string,
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
  ): void {
    if (!this.socket) throw new Error('No Socket Mode client is connected.');
    this.socket.send(
      JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api' }),
    );
  }

  async stop(): Promise<void> {
    for (const client of this.server?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
