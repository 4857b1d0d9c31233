import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';

/** The issuer Bot Connector puts in the tokens it sends to bots (public Azure cloud). */
export const BOT_CONNECTOR_ISSUER = 'https://api.botframework.com';

/**
 * A local stand-in for the Bot Framework's token signer: an RSA key published as OpenID metadata + JWKS
 * (with Teams' `endorsements`), and RS256 tokens signed with it, as Bot Connector signs the requests it
 * sends to a bot. `foreignKey` signs with another key under the same `kid` (a forged signature).
 */
export class BotFrameworkIssuer {
  readonly kid = randomUUID();
  private readonly key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  private server: Server | undefined;
  /** The OpenID metadata URL to configure as ToBotFromChannelOpenIdMetadataUrl. */
  metadataUrl = '';
  /** How often the metadata and the keys were fetched. */
  fetches = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.fetches++;
      const base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
      if (req.url === '/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: BOT_CONNECTOR_ISSUER,
            jwks_uri: `${base}/keys`,
            id_token_signing_alg_values_supported: ['RS256'],
          }),
        );
      } else if (req.url === '/keys') {
        const jwk = this.key.publicKey.export({ format: 'jwk' });
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }],
          }),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.metadataUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/openid-configuration`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * A Bot Connector token: issuer, audience and serviceUrl as given, valid for an hour from `issuedAt`
   * unless `claims` override it.
   */
  token(
    claims: { aud: string; serviceurl: string; iss?: string; iat?: number; exp?: number; nbf?: number },
    opts: { forged?: boolean } = {},
  ): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: BOT_CONNECTOR_ISSUER, iat: now - 10, nbf: now - 10, exp: now + 3600, ...claims };
    return sign(
      { alg: 'RS256', typ: 'JWT', kid: this.kid },
      payload,
      opts.forged ? this.foreignKey : this.key.privateKey,
    );
  }
}

function sign(header: object, payload: object, key: KeyObject): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}
