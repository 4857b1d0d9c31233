import { describe, expect, it } from 'vitest';
import { clientNetwork, IPV6_CLIENT_PREFIX_BITS } from '../../../connectors/console/client-network.ts';

// The network the sign-in throttle counts a client by: one IPv6 host holds a whole /64, so counting it
// per address let a guesser reset every lock by moving to another address of its own.
describe('clientNetwork (what the sign-in throttle counts a client address by)', () => {
  it('counts an IPv6 address by its /64 whatever its spelling (:: expanded, case, zone id)', () => {
    expect(IPV6_CLIENT_PREFIX_BITS).toBe(64);
    const network = '2001:db8:a:b0:0:0:0:0/64';
    for (const address of [
      '2001:db8:a:b0::1',
      '2001:DB8:A:B0::1',
      '2001:0db8:000a:00b0:0000:0000:0000:0001',
      '2001:db8:a:b0:ffff:ffff:ffff:ffff',
      '2001:db8:a:b0:1:2:3.4.5.6',
      '2001:db8:a:b0::',
      ' 2001:db8:a:b0::42 ',
      '2001:db8:a:b0::1%eth0',
    ])
      expect(clientNetwork(address), address).toBe(network);
    expect(clientNetwork('fe80::1%25en0')).toBe('fe80:0:0:0:0:0:0:0/64');
  });

  it('keeps neighbouring /64s apart, down to the last bit of the prefix', () => {
    expect(clientNetwork('2001:db8:a:b1::1')).toBe('2001:db8:a:b1:0:0:0:0/64');
    expect(clientNetwork('2001:db8:a:b1::1')).not.toBe(clientNetwork('2001:db8:a:b0::1'));
    expect(clientNetwork('2001:db8:b::1')).not.toBe(clientNetwork('2001:db8:a::1'));
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, and IPv4 per address', () => {
    for (const address of [
      '203.0.113.7',
      '::ffff:203.0.113.7',
      '::FFFF:203.0.113.7',
      '::ffff:cb00:7107',
      '0:0:0:0:0:ffff:cb00:7107',
    ])
      expect(clientNetwork(address), address).toBe('203.0.113.7');
    expect(clientNetwork('203.0.113.8')).toBe('203.0.113.8');
    // Not mapped: an IPv6 address that merely ends in an IPv4 one is an IPv6 network.
    expect(clientNetwork('64:ff9b::203.0.113.7')).toBe('64:ff9b:0:0:0:0:0:0/64');
  });

  it('gives anything that is no address a network of its own, in characters safe for a Redis key or a log line', () => {
    const odd = ['', 'unknown', 'evil\r\nline', '[::1]:8080', '1.2.3.4.5', '2001:db8::1::2'].map(clientNetwork);
    expect(new Set(odd).size).toBe(odd.length);
    for (const network of odd) expect(network).toMatch(/^other:[\w-]{22}$/);
    for (const network of [clientNetwork('2001:db8::1%evil\r\nline'), clientNetwork('::ffff:1.2.3.4')])
      expect(network).toMatch(/^[0-9a-f.:/]+$/);
  });
});
