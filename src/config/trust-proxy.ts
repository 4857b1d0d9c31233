import { isIP } from 'node:net';

/**
 * Whose forwarding headers Express believes by default (`req.ip`, `req.protocol`): a reverse proxy on
 * this machine only, so a client elsewhere cannot name its own address.
 */
export const DEFAULT_TRUST_PROXY = 'loopback';

/** proxy-addr's names for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Checks `RAPPORT_TRUST_PROXY`: a comma-separated list of addresses, CIDR ranges (`10.0.0.0/8`) and
 * range names (`loopback`, `linklocal`, `uniquelocal`), or a number of proxy hops in front of Rapport.
 * `true` / `*` (believe anyone) is refused: any client could then name the address the sign-in
 * throttle counts it by. @returns the value for Express, or a sentence saying what is wrong.
 */
export function parseTrustProxy(raw: string): { value: string | number } | { problem: string } {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops >= 1 && hops <= 10) return { value: hops };
    return { problem: `RAPPORT_TRUST_PROXY as a number of proxy hops must be 1 to 10, got "${raw}".` };
  }
  const parts = text.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !(RANGE_NAMES.has(p) || isAddressOrRange(p)));
  if (parts.length === 0 || bad.length > 0)
    return {
      problem: `RAPPORT_TRUST_PROXY must list the addresses or ranges of the proxies in front of Rapport (like "10.0.0.0/8, loopback") or their number of hops (like 1); not understood: ${bad.map((b) => `"${b}"`).join(', ') || `"${raw}"`}.`,
    };
  return { value: parts.join(', ') };
}

function isAddressOrRange(text: string): boolean {
  const [address, bits, more] = text.split('/');
  if (more !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
