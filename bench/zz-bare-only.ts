import { spawn } from 'node:child_process';
import { postSigned } from './signed-post.ts';
import { slashCommandBody } from '../test/helpers/slack-requests.ts';
const SECRET = 'bench-signing-secret-0123456789';
const port = 41000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['--import', 'tsx', '/work/main/bench/bare-bolt-app.ts', String(port), SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((r) => child.stdout!.on('data', (d) => String(d).includes('listening') && r()));
for (const rate of (process.env.RATES ?? '300,500').split(',').map(Number)) {
  const lat: number[] = []; let to = 0; const pend: Promise<void>[] = [];
  const start = performance.now(); const total = rate * 10; let lagMax = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate; const w = due - performance.now();
    if (w > 1) await new Promise((r) => setTimeout(r, w));
    lagMax = Math.max(lagMax, performance.now() - due);
    const body = slashCommandBody({ teamId: 'T1', channelId: 'C1', userId: 'U1', text: 'log acme "x"', triggerId: `t${i}`, responseUrl: 'http://127.0.0.1:1/r' });
    const t0 = performance.now();
    pend.push(postSigned(`http://127.0.0.1:${port}`, SECRET, body, 'application/x-www-form-urlencoded', {}, AbortSignal.timeout(3000)).then(async (r) => { await r.text(); lat.push(performance.now() - t0); }, () => { to++; }));
  }
  await Promise.all(pend); lat.sort((a, b) => a - b);
  console.log(rate, 'p50', lat[Math.floor(lat.length / 2)]?.toFixed(1), 'p99', lat[Math.floor(lat.length * 0.99)]?.toFixed(1), 'timeouts', to, 'send lag max', lagMax.toFixed(1));
}
child.kill();
