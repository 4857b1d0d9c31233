import { Agent, request } from 'node:http';
import { signedSlackHeaders } from '../test/helpers/slack-requests.ts';

/**
 * Kept-alive connections, as Slack's own senders keep them: no TCP handshake per request. An idle one is
 * closed after 4 s, before the server's 5 s keep-alive timeout: else a request sent on a connection the
 * server is closing at that moment fails with "socket hang up" (seen once between two runs).
 */
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 });

export interface SignedAnswer {
  status: number;
  text(): Promise<string>;
}

/**
 * POSTs a signed Slack request (as Slack signs it) to `<base>/slack/events` over node:http with a
 * kept-alive agent: far less CPU per request than fetch, so the load generator, which shares the 2
 * cores with the apps it measures, takes less from them. Rejects with the signal's reason (a
 * TimeoutError for AbortSignal.timeout) when `signal` aborts first.
 */
export function postSigned(
  base: string,
  secret: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<SignedAnswer> {
  const url = new URL('/slack/events', base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'Content-Type': contentType,
          'Content-Length': Buffer.byteLength(body),
          ...signedSlackHeaders(body, secret),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, text: async () => text });
        });
        res.on('error', fail);
      },
    );
    function fail(err: Error) {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    }
    function onAbort() {
      const reason = signal!.reason as Error;
      req.destroy(reason);
      reject(reason);
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.end(body);
  });
}
