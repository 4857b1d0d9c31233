import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from '../src/logger.ts';

/**
 * Sets whose forwarding headers the app believes, and logs once when a request carries
 * `X-Forwarded-For` from a peer that is not believed: a load balancer whose address is not in
 * `RAPPORT_TRUST_PROXY` makes every client look like the load balancer (one address for the sign-in
 * throttle: five wrong passwords then lock everyone out of that account).
 */
export function applyTrustProxy(app: Express, value: string | number, logger?: Logger): void {
  app.set('trust proxy', value);
  const trusted = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  let warned = false;
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined) {
      const peer = req.socket.remoteAddress ?? '';
      if (peer !== '' && !trusted(peer, 0)) {
        warned = true;
        logger?.warn(
          { peer, trustProxy: value },
          'HTTP: X-Forwarded-For came from a peer that is not a trusted proxy and is ignored: every client behind it looks like this one address (sign-in throttling, logs). Set RAPPORT_TRUST_PROXY to the addresses of your load balancer or reverse proxy',
        );
      }
    }
    next();
  });
}
