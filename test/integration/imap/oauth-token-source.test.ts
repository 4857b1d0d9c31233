import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthTokenSource } from '../../../connectors/imap/oauth-token-source.ts';

// When a token of an hour is renewed, on a clock the test moves (the endpoint is a real local server).
let url = '';
let issued = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    issued++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ access_token: `at-${issued}`, expires_in: 3600 }));
  });
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`;
});
afterAll(() => server.close());

describe('OAuthTokenSource', () => {
  it('keeps an hour-long token until five minutes before it runs out, then asks for a new one', async () => {
    let now = 1_000_000;
    const source = new OAuthTokenSource(
      { tokenUrl: url, clientId: 'app', clientSecret: 's', scope: 'imap' },
      'support@example.com',
      () => now,
    );
    const first = await source.accessToken();
    now += 54 * 60_000;
    expect(await source.accessToken()).toBe(first);
    now += 60_000 + 1;
    const second = await source.accessToken();
    expect(second).not.toBe(first);
    expect(source.requests).toBe(2);
    // A refused token is dropped only if it is still the one held.
    source.refused(first);
    expect(await source.accessToken()).toBe(second);
    source.refused(second);
    expect(await source.accessToken()).not.toBe(second);
    expect(source.requests).toBe(3);
  });
});
