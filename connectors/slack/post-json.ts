import http from 'node:http';
import https from 'node:https';

/**
 * Kept-alive connections per protocol. Free sockets close after 4 s idle (or sooner when the server's
 * Keep-Alive header says so), before a server's usual 5 s idle close can cross a request on the wire.
 */
const agents: Record<string, http.Agent> = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
};

/**
 * POSTs `body` as JSON and resolves with the HTTP status once the answer has been read. Node's own
 * http client rather than fetch: under a burst of commands every response_url answer goes out on the
 * thread that acknowledges Slack, and fetch (undici: web streams, its own body handling) costs several
 * times the CPU per request. A request that fails because a kept-alive connection had just been
 * closed by the server (ECONNRESET on a reused socket) is sent once more on a new one, as Node's
 * documentation advises. Gives up when no data moved for `timeoutMs`.
 */
export function postJson(url: string, body: unknown, timeoutMs: number): Promise<number> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`cannot post to a ${target.protocol} URL`));
  const payload = Buffer.from(JSON.stringify(body));
  const send = (retried: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: 'POST',
          agent: agents[target.protocol],
          timeout: timeoutMs,
          headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length },
        },
        (res) => {
          res.on('error', reject);
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.resume();
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${target.host} within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') send(true).then(resolve, reject);
        else reject(err);
      });
      req.end(payload);
    });
  return send(false);
}
