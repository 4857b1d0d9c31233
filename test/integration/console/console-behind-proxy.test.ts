import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRapportCli } from '../../helpers/spawn-rapport.ts';
import { startTestProcess, type TestProcess } from '../../helpers/test-process.ts';

/**
 * A reverse proxy on this machine in front of `upstream`, as a deployment puts one for Slack and Teams
 * (they need a public HTTPS address): every request reaches Rapport from 127.0.0.1. `headers` are what
 * it adds (Caddy adds X-Forwarded-For; nginx's bare `proxy_pass` adds nothing and sends its upstream's
 * address as Host).
 */
async function reverseProxy(upstream: string, headers: (req: { host: string }) => Record<string, string>) {
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, ...headers({ host: target.host }) },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Proxy = Awaited<ReturnType<typeof reverseProxy>>;

const readyzDetails = async (base: string) => {
  const body = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, { detail: string }> };
  return body.checks.database.detail;
};

// A request from the internet through a reverse proxy on the same machine comes from 127.0.0.1: it must
// not be taken for the operator's own tools (on the code before, it read, exported and ran commands as
// the admin "console", and /readyz named customers).
describe('the console behind a reverse proxy on the same machine', () => {
  describe('Rapport not published (no RAPPORT_PUBLIC_URL), a proxy that says it forwarded', () => {
    let bot: TestProcess | undefined;
    let caddy: Proxy | undefined;
    beforeAll(async () => {
      bot = await startTestProcess('pglite', {}, { name: 'proxied' });
      caddy = await reverseProxy(bot.url, () => ({ 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' }));
    }, 120_000);
    afterAll(async () => {
      await caddy?.close();
      await bot?.dispose();
    });

    it('refuses the forwarded request as a remote one; the same request made on this machine is the operator', async () => {
      const viaProxy = await fetch(`${caddy!.url}/api/customers`);
      expect(viaProxy.status).toBe(403);
      expect(((await viaProxy.json()) as { error: string }).error).toMatch(/only accepts local connections/);
      const command = await fetch(`${caddy!.url}/api/command`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'lookup acme', user: 'anyone' }),
      });
      expect(command.status).toBe(403);
      expect((await fetch(`${bot!.url}/api/customers`)).status).toBe(200);
    });

    it('/readyz tells the proxied caller the status and no details', async () => {
      const res = await fetch(`${caddy!.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await readyzDetails(caddy!.url)).toMatch(/^details for the operator only/);
      expect(await readyzDetails(bot!.url)).toBe('embedded PGlite');
    });
  });

  describe('Rapport published at RAPPORT_PUBLIC_URL, a proxy that adds nothing (nginx bare proxy_pass)', () => {
    let bot: TestProcess | undefined;
    let nginx: Proxy | undefined;
    beforeAll(async () => {
      bot = await startTestProcess(
        'pglite',
        { RAPPORT_PUBLIC_URL: 'https://rapport.example.com' },
        { name: 'published' },
      );
      nginx = await reverseProxy(bot.url, ({ host }) => ({ host }));
    }, 120_000);
    afterAll(async () => {
      await nginx?.close();
      await bot?.dispose();
    });

    it('takes no request for a local one: export, commands and rapport mail are refused, /readyz has no details', async () => {
      const exported = await fetch(`${nginx!.url}/api/customers/acme/export?format=json`);
      expect(exported.status).toBe(403);
      expect(((await exported.json()) as { error: string }).error).toMatch(
        /published at https:\/\/rapport\.example\.com \(RAPPORT_PUBLIC_URL\), so no request counts as local/,
      );
      const mail = await fetch(`${nginx!.url}/api/mail-command`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ argv: ['quarantine'] }),
      });
      expect(mail.status).toBe(403);
      expect(await readyzDetails(nginx!.url)).toMatch(/^details for the operator only/);
    });

    it('the rapport commands on this machine still reach it, with the data dir lock’s token', async () => {
      const logged = await runRapportCli(bot!.dataDir, ['exec', 'log "Proxied Ltd" "Called Jo about the quote" --new']);
      expect(logged.code).toBe(0);
      const lookup = await runRapportCli(bot!.dataDir, ['exec', 'lookup Proxied Ltd']);
      expect(lookup.out).toContain('Proxied Ltd');
      const mail = await runRapportCli(bot!.dataDir, ['mail', 'quarantine']);
      expect(mail.code).toBe(0);
      const doctor = await runRapportCli(bot!.dataDir, ['doctor']);
      expect(doctor.out).toMatch(/database: embedded PGlite, open in the running bot/);
    });
  });
});
