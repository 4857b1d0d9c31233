import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../../../connectors/slack/post-json.ts';

describe('postJson (response_url answers over node:http)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  const serve = async (handler: Parameters<typeof createServer>[1]) => {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  };

  it('posts the body as JSON and answers the status, on kept-alive connections', async () => {
    const got: Array<{ type?: string; body: unknown; socket: unknown }> = [];
    const base = await serve((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        got.push({ type: req.headers['content-type'], body: JSON.parse(text), socket: req.socket });
        res.statusCode = got.length === 3 ? 404 : 200;
        res.end('ok');
      });
    });
    expect(await postJson(`${base}/respond/a`, { text: 'Logged ✓' }, 5_000)).toBe(200);
    expect(await postJson(`${base}/respond/b`, { n: 2 }, 5_000)).toBe(200);
    expect(await postJson(`${base}/respond/c`, {}, 5_000)).toBe(404);
    expect(got.map((g) => g.body)).toEqual([{ text: 'Logged ✓' }, { n: 2 }, {}]);
    expect(got[0].type).toBe('application/json');
    expect(got[1].socket).toBe(got[0].socket);
  });

  it('gives up on a server that does not answer, and refuses a URL that is not http(s)', async () => {
    const base = await serve(() => {});
    await expect(postJson(`${base}/respond/slow`, { text: 'x' }, 200)).rejects.toThrow(/no answer/);
    await expect(postJson('ftp://example.com/x', {}, 200)).rejects.toThrow(/ftp:/);
  });
});
