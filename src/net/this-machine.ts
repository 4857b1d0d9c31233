import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Headers a reverse proxy (nginx, Caddy, Traefik, Apache, a tunnel) adds to what it passes on: a request
 * that carries one came from elsewhere, whatever address the connection has.
 */
const FORWARDING_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'via',
  'cf-connecting-ip',
  'true-client-ip',
  'x-client-ip',
];

/** The header `rapport` commands send the token of the data-dir lock in (see `toolToken` there). */
export const TOOL_TOKEN_HEADER = 'x-rapport-tool-token';

/**
 * Whether Rapport is published: RAPPORT_PUBLIC_URL names a host other than this machine's loopback, so a
 * reverse proxy on this machine may forward the internet to it.
 */
export function isPublished(publicUrl: URL | undefined): boolean {
  return publicUrl !== undefined && !LOCAL_HOSTNAMES.has(publicUrl.hostname.toLowerCase());
}

/**
 * Whether a request was made on this machine and not passed on by a proxy running on it: a loopback
 * connection, addressed to a loopback name, without a proxy's headers, to a Rapport that is not published
 * ({@link isPublished}). The last rule is for proxies that add nothing and keep their upstream's Host
 * (nginx's bare `proxy_pass`): their requests cannot be told from a local one, so a published Rapport
 * trusts no request for being local and its own commands prove themselves with the lock's token.
 */
export function fromThisMachine(req: IncomingMessage, publicUrl: URL | undefined): boolean {
  if (!LOOPBACK_ADDRESSES.has(req.socket.remoteAddress ?? '')) return false;
  if (isPublished(publicUrl)) return false;
  if (FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined)) return false;
  return LOCAL_HOSTNAMES.has(hostnameOf(req.headers.host ?? ''));
}

/** Whether `given` is `secret`, in constant time; false when there is no secret. */
export function secretMatches(given: string | undefined, secret: string | undefined): boolean {
  if (!secret || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hostnameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return '';
  }
}
