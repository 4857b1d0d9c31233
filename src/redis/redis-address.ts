/**
 * Where Redis is, parsed from REDIS_URL. Three forms:
 * - `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS): one server;
 * - `redis+sentinel://[user:password@]host:port[,host:port…]/<master name>[/db]` (or `rediss+sentinel://`):
 *   ask the sentinels for the current primary, follow failovers; the password is the primary's;
 * - `redis+cluster://[user:password@]host:port[,host:port…]` (or `rediss+cluster://`): a Redis Cluster,
 *   seeded from these nodes (ioredis `Cluster`, which follows MOVED/ASK redirects).
 */
export type RedisAddress =
  | { kind: 'server'; url: string }
  | {
      kind: 'sentinel';
      tls: boolean;
      sentinels: Array<{ host: string; port: number }>;
      name: string;
      db: number;
      username?: string;
      password?: string;
    }
  | {
      kind: 'cluster';
      tls: boolean;
      nodes: Array<{ host: string; port: number }>;
      username?: string;
      password?: string;
    };

/** The URL schemes REDIS_URL accepts. */
export const REDIS_URL_PATTERN = /^(rediss?|rediss?\+sentinel|rediss?\+cluster):\/\//;

/** Parses a REDIS_URL (see {@link RedisAddress}); throws an Error with a sentence when it cannot. */
export function parseRedisAddress(url: string): RedisAddress {
  const m = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?/.exec(url);
  if (!m) return { kind: 'server', url };
  const [, scheme, kindName, auth, hostList, path] = m;
  const kind = kindName as 'sentinel' | 'cluster';
  const tls = scheme === 'rediss';
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const colon = auth.indexOf(':');
    username = colon >= 0 ? decodeURIComponent(auth.slice(0, colon)) || undefined : undefined;
    password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth) || undefined;
  }
  const hosts = hostList.split(',').map((hp) => {
    const at = hp.lastIndexOf(':');
    const host = at > 0 ? hp.slice(0, at).replace(/^\[|\]$/g, '') : hp;
    const port = at > 0 ? Number(hp.slice(at + 1)) : kind === 'sentinel' ? 26379 : 6379;
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`REDIS_URL has a bad host:port "${hp}".`);
    return { host, port };
  });
  if (kind === 'cluster') return { kind, tls, nodes: hosts, username, password };
  const [name, db] = (path ?? '').split('/').filter(Boolean);
  if (!name)
    throw new Error('REDIS_URL for Sentinel must name the primary: redis+sentinel://host:26379,host2:26379/mymaster');
  return { kind, tls, sentinels: hosts, name: decodeURIComponent(name), db: db ? Number(db) : 0, username, password };
}
