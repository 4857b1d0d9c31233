import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A local HTTP answer: its status and whole body as text. */
export interface LocalAnswer {
  status: number;
  body: string;
}

/**
 * One request to the running bot's own HTTP server (the URL from its data-dir lock), through node:http
 * rather than fetch: fetch loads undici on its first use, about 100 ms of a `rapport exec` call that
 * otherwise does little more than this request. Rejects when the server cannot be reached.
 */
export function localRequest(
  url: URL,
  opts: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<LocalAnswer> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
