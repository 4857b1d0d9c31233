import { networkInterfaces } from 'node:os';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';
import { createConsoleAccount } from '../../../src/services/console-accounts.service.ts';
import { startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

/** This machine's own non-loopback IPv4 address: requests to it come from it, as from a load balancer elsewhere. */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this test needs a non-loopback IPv4 address on the machine (a load balancer is not on loopback)');
}

// `RAPPORT_ROLE=web` processes behind a load balancer (README "Scaling out"): every request comes from
// the balancer's address, not loopback. Unless RAPPORT_TRUST_PROXY names it, its X-Forwarded-For is not
// believed and every client is that one address: one outsider's five wrong passwords lock everyone out
// of the account. Named, each client is its forwarded address again.
describe('console behind a load balancer that is not on this machine', () => {
  let t: TestDatabase;
  const lan = lanAddress();

  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    await createConsoleAccount(t.db, { username: 'ola', password: 'ola password 123', role: 'rep', timezone: 'UTC' });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  async function withConsole(
    trustProxy: string | undefined,
    run: (signIn: (password: string, client: string) => Promise<Response>, logged: string[]) => Promise<void>,
  ): Promise<void> {
    const logged: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    const app: ConsoleServer = await startConsoleServer(t.db, {
      host: '0.0.0.0',
      trustProxy,
      logger: createLogger('info', stream),
      // The address people open it at (RAPPORT_PUBLIC_URL): the console's Host guard answers to it.
      signIn: { publicUrl: new URL(`http://${lan}`) },
    });
    const signIn = (password: string, client: string) =>
      fetch(`http://${lan}:${app.port}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Forwarded-For': client,
        },
        body: new URLSearchParams({ username: 'ola', password, next: '/console' }),
      });
    try {
      await run(signIn, logged);
    } finally {
      await app.close();
    }
  }

  it('without RAPPORT_TRUST_PROXY the balancer is every client (locked together) and that is logged once, naming the setting', async () => {
    await withConsole(undefined, async (signIn, logged) => {
      for (let i = 0; i < 5; i++) expect((await signIn(`wrong ${i}`, '203.0.113.7')).status).toBe(303);
      // The owner's try is the outsider's pair: locked for the 15 minutes.
      const owner = await signIn('ola password 123', '198.51.100.9');
      expect(owner.status).toBe(429);
      expect(Number(owner.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
      const warnings = logged.filter((l) => l.includes('RAPPORT_TRUST_PROXY'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({ level: 40, peer: lan, trustProxy: 'loopback' });
    });
  });

  it('with RAPPORT_TRUST_PROXY naming the balancer, the outsider locks only their own address; the owner signs in', async () => {
    await withConsole(`${lan}/32`, async (signIn, logged) => {
      for (let i = 0; i < 5; i++) expect((await signIn(`wrong ${i}`, '203.0.113.7')).status).toBe(303);
      expect((await signIn('ola password 123', '203.0.113.7')).status).toBe(429);
      // The account's short delay after five wrong passwords (seconds, not the pair's 15 minutes), then in.
      let owner = await signIn('ola password 123', '198.51.100.9');
      if (owner.status === 429) {
        const wait = Number(owner.headers.get('retry-after'));
        expect(wait).toBeLessThanOrEqual(2);
        await new Promise((r) => setTimeout(r, wait * 1000 + 100));
        owner = await signIn('ola password 123', '198.51.100.9');
      }
      expect(owner.status).toBe(303);
      expect(owner.headers.get('location')).toBe('/console/today');
      expect(logged.filter((l) => l.includes('RAPPORT_TRUST_PROXY'))).toEqual([]);
    });
  });
});
