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

/** What proves a request is the operator's without a session: the console token, the lock's tool token, or this machine. */
export interface OperatorSecrets {
  /** RAPPORT_PUBLIC_URL: a published Rapport trusts no request for being local ({@link fromThisMachine}). */
  publicUrl?: URL;
  /** RAPPORT_CONSOLE_TOKEN, sent as `Authorization: Bearer <token>` or `?token=`. */
  consoleToken?: string;
  /** The data-dir lock's token, which `rapport` commands send in {@link TOOL_TOKEN_HEADER}. */
  toolToken?: string;
}

/**
 * How a request shows it is the operator's, checked in this order (the console and `/readyz` ask the
 * same question): `console-token`, `tool-token`, `this-machine` (a browser on this machine too: the
 * console decides what a local browser may do), else undefined.
 */
export function operatorProof(
  req: IncomingMessage,
  secrets: OperatorSecrets,
): 'console-token' | 'tool-token' | 'this-machine' | undefined {
  const auth = req.headers.authorization;
  const given = auth?.startsWith('Bearer ')
    ? auth.slice(7)
    : (new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined);
  if (secretMatches(given, secrets.consoleToken)) return 'console-token';
  const tool = req.headers[TOOL_TOKEN_HEADER];
  if (secretMatches(typeof tool === 'string' ? tool : undefined, secrets.toolToken)) return 'tool-token';
  if (fromThisMachine(req, secrets.publicUrl)) return 'this-machine';
  return undefined;
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
