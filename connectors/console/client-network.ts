import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * How many leading bits of an IPv6 address the sign-in throttle counts a client by: its /64.
 *
 * A /64 is the smallest network an IPv6 host is handed (SLAAC, RFC 4291's interface identifiers), so
 * every host can pick new addresses inside it for free: counted per address, a guesser's pair and
 * address locks would reset with each one. A constant, not a setting: a wider prefix (the /56 or /48 an
 * ISP gives one site) would put the customers of one hosting provider or mobile carrier together, so
 * one guesser's 20 wrong passwords would pause all of them, and guessing one account from many networks
 * is bounded anyway by the account's delay (connectors/console/sign-in-throttle.ts).
 */
export const IPV6_CLIENT_PREFIX_BITS = 64;

/** The IPv6 prefix of IPv4-mapped addresses (`::ffff:a.b.c.d`): 80 zero bits, then 16 one bits. */
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0xffff];

/** The 8 groups of a valid IPv6 address (no zone id): `::` expanded, an IPv4 tail as two groups. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const front = parse(head);
  const back = parse(rest);
  return rest === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The network the sign-in throttle counts a client address by (`req.ip`, which behind a trusted proxy
 * is the forwarded address as the proxy wrote it):
 *
 * - IPv4: the address itself (`203.0.113.7`); one IPv4 address is often a whole office behind NAT
 *   already.
 * - IPv6: its /{@link IPV6_CLIENT_PREFIX_BITS} prefix, whatever the spelling (`::` expanded, upper or
 *   lower case, a zone id such as `%eth0` dropped), its 8 groups written out: `2001:db8:a:b0:0:0:0:0/64`.
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.7`, `::ffff:cb00:7107`, which a dual-stack socket reports):
 *   the IPv4 address, so one client is not counted twice under two spellings.
 * - Anything else (no address, a proxy's malformed header): `other:` and a digest of the text, apart
 *   from every real address.
 *
 * The result holds only hex digits, dots, colons, a slash and `other:`-digest characters (base64url),
 * so it is safe in a Redis key or a log line whatever a header held.
 */
export function clientNetwork(address: string): string {
  const text = address.trim();
  if (isIPv4(text)) return text;
  const bare = text.split('%')[0].toLowerCase();
  if (isIPv6(bare)) {
    const groups = ipv6Groups(bare);
    if (MAPPED_PREFIX.every((g, i) => groups[i] === g))
      return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
    const prefix = groups.map((g, i) => {
      const kept = Math.min(16, Math.max(0, IPV6_CLIENT_PREFIX_BITS - 16 * i));
      return g & (0xffff << (16 - kept)) & 0xffff;
    });
    return `${prefix.map((g) => g.toString(16)).join(':')}/${IPV6_CLIENT_PREFIX_BITS}`;
  }
  return `other:${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
}
