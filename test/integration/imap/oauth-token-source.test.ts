import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthTokenSource } from '../../../connectors/imap/oauth-token-source.ts';

// When a token of an hour is renewed, on a clock the test moves (the endpoint is a real local server).
let url = '';
let issued = 0;
/** The refresh token of each request (none for client_credentials). */
const sentRefreshTokens: Array<string | null> = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    issued++;
    const refresh = new URLSearchParams(body).get('refresh_token');
    sentRefreshTokens.push(refresh);
    res.setHeader('content-type', 'application/json');
    // A refresh_token grant is answered with the next refresh token (rotation).
    res.end(
      JSON.stringify({
        access_token: `at-${issued}`,
        expires_in: 3600,
        ...(refresh ? { refresh_token: `rt-${issued}` } : {}),
      }),
    );
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
      { now: () => now },
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

  it('a rotated refresh token the store could not take is held, written again before the next request, and sent', async () => {
    let now = 1_000_000;
    let stored: string | undefined;
    let failSaves = 1;
    const errors: string[] = [];
    const source = new OAuthTokenSource({ tokenUrl: url, clientId: 'app', refreshToken: 'rt-configured' }, 'a@b.c', {
      now: () => now,
      store: (() => {
        const row = {
          load: async () => stored,
          save: async (t: string) => {
            if (failSaves-- > 0) throw new Error('connection terminated');
            stored = t;
          },
        };
        return { ...row, exclusive: (fn) => fn(row) };
      })(),
      onStoreError: (err) => errors.push(err.message),
    });
    const before = sentRefreshTokens.length;
    await source.accessToken();
    expect(errors).toEqual(['connection terminated']);
    expect(stored).toBeUndefined();
    now += 56 * 60_000;
    await source.accessToken();
    const [first, second] = sentRefreshTokens.slice(before);
    expect(first).toBe('rt-configured');
    // The rotated token, held in memory, was stored first and then sent.
    expect(second).toMatch(/^rt-\d+$/);
    expect(second).not.toBe(first);
    // The store now holds the one the second request was given.
    expect(stored).toBe(`rt-${Number(second!.slice(3)) + 1}`);
  });
});
