import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/net/free-port.ts';

/** Redis servers started for one test: the REDIS_URL to use, extra env for Rapport, and a stop. */
export interface RedisTopology {
  url: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

function startServer(args: string[]): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited };
}

async function stopAll(servers: Array<{ child: ChildProcess; exited: Promise<void> }>): Promise<void> {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exited));
}

/** Polls `redis-cli <args>` until its output matches `ok`, or throws after `timeoutMs`. */
async function waitForCli(args: string[], ok: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 5_000 });
    last = `${r.stdout}${r.stderr}`;
    if (ok.test(last)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`redis-cli ${args.join(' ')} never matched ${ok}: ${last}`);
}

const base = (port: number, dir: string) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--save',
  '',
  '--appendonly',
  'no',
];

/** A 3-primary Redis Cluster (`--cluster-enabled yes`, no replicas) on free loopback ports. */
export async function startRedisCluster(dir: string): Promise<RedisTopology> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map((port) => {
    const d = join(dir, `cluster-${port}`);
    mkdirSync(d, { recursive: true });
    return startServer([...base(port, d), '--cluster-enabled', 'yes', '--cluster-config-file', join(d, 'nodes.conf')]);
  });
  try {
    for (const port of ports) await waitForCli(['-p', String(port), 'ping'], /PONG/);
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) await waitForCli(['-p', String(port), 'cluster', 'info'], /cluster_state:ok/);
  } catch (err) {
    await stopAll(servers);
    throw err;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    env: {},
    stop: () => stopAll(servers),
  };
}

/** A primary and one sentinel watching it as `mymaster` (quorum 1). */
export async function startRedisSentinel(dir: string): Promise<RedisTopology & { primaryPort: number }> {
  const primaryPort = await freePort();
  const sentinelPort = await freePort();
  mkdirSync(dir, { recursive: true });
  const primary = startServer(base(primaryPort, dir));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${primaryPort} 1`,
      'sentinel down-after-milliseconds mymaster 2000',
      '',
    ].join('\n'),
  );
  const sentinel = startServer([conf, '--sentinel']);
  const servers = [sentinel, primary];
  try {
    await waitForCli(['-p', String(primaryPort), 'ping'], /PONG/);
    await waitForCli(
      ['-p', String(sentinelPort), 'sentinel', 'get-master-addr-by-name', 'mymaster'],
      new RegExp(String(primaryPort)),
    );
  } catch (err) {
    await stopAll(servers);
    throw err;
  }
  return {
    url: `redis+sentinel://127.0.0.1:${sentinelPort}/mymaster`,
    env: {},
    primaryPort,
    stop: () => stopAll(servers),
  };
}

/**
 * A TLS-only redis-server (`--port 0 --tls-port`) with a self-signed certificate for 127.0.0.1 made
 * by openssl; Rapport trusts it through NODE_EXTRA_CA_CERTS, as a user with a private CA would.
 */
export async function startTlsRedis(dir: string): Promise<RedisTopology> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const port = await freePort();
  const server = startServer([
    ...base(0, dir),
    '--tls-port',
    String(port),
    '--tls-cert-file',
    cert,
    '--tls-key-file',
    key,
    '--tls-ca-cert-file',
    cert,
    '--tls-auth-clients',
    'no',
  ]);
  try {
    await waitForCli(['--tls', '--cacert', cert, '-p', String(port), 'ping'], /PONG/);
  } catch (err) {
    await stopAll([server]);
    throw err;
  }
  return { url: `rediss://127.0.0.1:${port}`, env: { NODE_EXTRA_CA_CERTS: cert }, stop: () => stopAll([server]) };
}
