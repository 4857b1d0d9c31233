import type { NextFunction, Request, Response } from 'express';

const LOCAL_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header or origin ("127.0.0.1:3000" -> "127.0.0.1", "[::1]:3000" -> "[::1]"), or undefined. */
function hostnameOf(hostOrUrl: string): string | undefined {
  try {
    return new URL(hostOrUrl.includes('://') ? hostOrUrl : `http://${hostOrUrl}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The host names the console answers to: localhost, 127.0.0.1, [::1] and RAPPORT_PUBLIC_URL's. */
export function allowedHostnames(publicUrl: URL | undefined): string[] {
  return publicUrl ? [...LOCAL_HOSTNAMES, publicUrl.hostname.toLowerCase()] : [...LOCAL_HOSTNAMES];
}

/**
 * Refuses what a hostile web page could make a browser send:
 * - a Host that is not on the allow-list (DNS rebinding: evil.example resolving to 127.0.0.1 makes the
 *   browser treat the console as evil.example's own page, so the Origin check alone cannot tell);
 * - a state-changing request (anything but GET/HEAD/OPTIONS) whose Origin is not the console's own, or
 *   that the browser marks cross-site (Sec-Fetch-Site) when it sends no Origin.
 * Tools (curl, `rapport exec`) send neither header and pass. Every answer also forbids being shown in
 * another site's frame (clickjacking: a hidden console under a decoy button, where the frame's own
 * clicks pass the Origin check).
 */
export function consoleRequestGuard(publicUrl: URL | undefined) {
  const allowed = new Set(allowedHostnames(publicUrl));
  return (req: Request, res: Response, next: NextFunction): void => {
    res.set('X-Frame-Options', 'DENY').set('Content-Security-Policy', "frame-ancestors 'none'");
    const host = req.get('host') ?? '';
    const hostname = hostnameOf(host);
    if (!hostname || !allowed.has(hostname)) {
      res
        .status(421)
        .type('text/plain')
        .send(
          `This Rapport console answers only at ${[...allowed].join(', ')}, not "${host}". If this is the address people use, set RAPPORT_PUBLIC_URL to it.`,
        );
      return;
    }
    if (!SAFE_METHODS.has(req.method)) {
      const origin = req.get('origin');
      const site = req.get('sec-fetch-site');
      let sameOrigin: boolean;
      if (origin) {
        let originHost: string | undefined;
        try {
          originHost = new URL(origin).host.toLowerCase();
        } catch {
          originHost = undefined; // "null" (sandboxed frames, file://): never the console
        }
        sameOrigin = originHost === host.toLowerCase();
      } else {
        sameOrigin = site === undefined || site === 'same-origin' || site === 'none';
      }
      if (!sameOrigin) {
        res.status(403).json({ error: 'Cross-site requests to the Rapport console are not allowed.' });
        return;
      }
    }
    next();
  };
}
