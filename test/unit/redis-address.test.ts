import { describe, expect, it } from 'vitest';
import { parseRedisAddress } from '../../src/redis/redis-address.ts';
import { loadConfig } from '../../src/config/env.ts';

describe('REDIS_URL forms', () => {
  it('reads one server, sentinels with the primary name, and cluster seed nodes', () => {
    expect(parseRedisAddress('rediss://:pw@redis.example.com:6380/2')).toEqual({
      kind: 'server',
      url: 'rediss://:pw@redis.example.com:6380/2',
    });
    expect(parseRedisAddress('redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2/mymaster/3')).toEqual({
      kind: 'sentinel',
      tls: false,
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'mymaster',
      db: 3,
      username: undefined,
      password: 's@cret',
    });
    expect(parseRedisAddress('rediss+cluster://app:pw@a:7000,b:7001')).toEqual({
      kind: 'cluster',
      tls: true,
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      username: 'app',
      password: 'pw',
    });
  });

  it('refuses a sentinel URL without the primary name and a bad port, with a sentence', () => {
    expect(() => parseRedisAddress('redis+sentinel://a:26379')).toThrow(/must name the primary/);
    expect(() => parseRedisAddress('redis+cluster://a:99999')).toThrow(/bad host:port "a:99999"/);
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://a:26379' })).toThrow(/must name the primary/);
    expect(loadConfig({ REDIS_URL: 'redis+cluster://a:7000,b:7001' }).redisUrl).toBe('redis+cluster://a:7000,b:7001');
  });
});
