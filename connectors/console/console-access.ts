import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Lets loopback clients in; anyone else needs the console token (`Authorization: Bearer <token>` or
 * `?token=`), and without a configured token the console is local only. Cross-site browser requests
 * (an Origin that is not this host) are refused so a web page cannot drive a local console.
 */
export function consoleAccess(consoleToken: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.get('origin');
    if (origin && req.method !== 'GET') {
      let sameHost = false;
      try {
        sameHost = new URL(origin).host === req.get('host');
      } catch {
        /* malformed origin: refused below */
      }
      if (!sameHost) {
        res.status(403).json({ error: 'Cross-site requests to the Rapport console are not allowed.' });
        return;
      }
    }
    if (LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      next();
      return;
    }
    if (!consoleToken) {
      res.status(403).json({
        error:
          'The Rapport console only accepts local connections. Set RAPPORT_CONSOLE_TOKEN to use it from elsewhere.',
      });
      return;
    }
    const header = req.get('authorization');
    const given = header?.startsWith('Bearer ')
      ? header.slice(7)
      : typeof req.query.token === 'string'
        ? req.query.token
        : '';
    const a = Buffer.from(given);
    const b = Buffer.from(consoleToken);
    if (a.length === b.length && timingSafeEqual(a, b)) {
      next();
      return;
    }
    res.status(401).json({
      error: 'Missing or wrong console token: send Authorization: Bearer <RAPPORT_CONSOLE_TOKEN> or add ?token=.',
    });
  };
}
