/**
 * bench:imap-memory: the peak memory (max RSS) of a first sync of a mailbox of big mails, with the
 * sync's batches cut by count alone (100, as before) and by count and bytes (production's default,
 * 100 messages / 8 MB), side by side in one run. Each sync runs in a child process of its own (max RSS
 * is per process) into a scratch PostgreSQL database, alternating, BENCH_RUNS times each (default 2);
 * medians are printed. BENCH_BIG_COUNT mails (default 60) of BENCH_BIG_MB MB each (default 4), between
 * small ones, go to Dovecot by APPEND first.
 * Run: npm run bench:imap-memory  (needs PostgreSQL at 127.0.0.1:5432 and Redis at 6379, like bench:imap).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MailboxSync } from '../connectors/imap/mailbox-sync.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createLogger } from '../src/logger.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { noopPipelineHooks } from '../src/services/pipeline-hooks.ts';
import { startDovecot } from '../test/helpers/dovecot.ts';
import { buildEmail } from '../test/helpers/email-fixtures.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';
import { SecretBox } from '../src/db/secret-box.ts';

interface ChildResult {
  ms: number;
  logged: number;
  rssBeforeMb: number;
  maxRssMb: number;
}

const MB = 1024 * 1024;

if (process.env.BENCH_CHILD === '1') await child();
else await parent();

/** One sync of the mailbox named in the environment; prints its figures as one JSON line. */
async function child(): Promise<void> {
  const env = process.env as Record<string, string>;
  const db = await openDatabase({ databaseUrl: env.BENCH_DATABASE_URL });
  const redis = connectRedis('redis://127.0.0.1:6379');
  const rssBeforeMb = process.memoryUsage().rss / MB;
  const started = Date.now();
  const sync = new MailboxSync(
    {
      address: env.BENCH_USER,
      host: '127.0.0.1',
      port: Number(env.BENCH_PORT),
      secure: false,
      user: env.BENCH_USER,
      password: env.BENCH_PASSWORD,
      accessToken: undefined,
      folders: ['INBOX'],
      sinceDays: 0,
      pollSeconds: 60,
      skipLists: false,
      createCompanies: 'all',
      markSeen: false,
      maxMessageBytes: 20 * MB,
    },
    {
      db,
      redis,
      secrets: new SecretBox(),
      hooks: noopPipelineHooks,
      logger: createLogger('warn'),
      internalDomains: ['support.example'],
      lockPrefix: `{rapport-bench-${randomBytes(4).toString('hex')}}`,
      batchSize: env.BENCH_CHILD_BATCH ? Number(env.BENCH_CHILD_BATCH) : undefined,
      batchBytes: env.BENCH_CHILD_BYTES ? Number(env.BENCH_CHILD_BYTES) : undefined,
    },
  );
  sync.start();
  while (!(sync.status.state === 'watching' && sync.status.lastSyncAt)) await new Promise((r) => setTimeout(r, 20));
  const ms = Date.now() - started;
  await sync.stop();
  const result: ChildResult = {
    ms,
    logged: sync.status.counts.logged,
    rssBeforeMb,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
  redis.disconnect();
  await db.close();
}

function runChild(vars: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, ...vars, BENCH_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ChildResult);
      else reject(new Error(`the sync child exited ${code}:\n${out}`));
    });
  });
}

async function parent(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 2);
  const bigCount = Number(process.env.BENCH_BIG_COUNT ?? 60);
  const bigMb = Number(process.env.BENCH_BIG_MB ?? 4);
  const dovecot = await startDovecot();
  try {
    const account = await dovecot.addUser('bench@support.example');
    const client = await dovecot.client(account);
    const line = `${'x'.repeat(74)}\r\n`;
    const big = line.repeat(Math.round((bigMb * MB) / line.length));
    const started = Date.now();
    let n = 0;
    for (let i = 0; i < bigCount; i++) {
      // Between every big mail a small one, as a support inbox holds them.
      await client.append('INBOX', buildEmail({ from: `c${i}@customer${i % 20}.com`, subject: `Question ${i}` }));
      await client.append('INBOX', buildEmail({ from: `ops${i}@bigcorp.com`, subject: `Logs ${i}`, body: big }));
      n += 2;
    }
    await client.logout();
    console.log(
      `mailbox: ${n} mails (${bigCount} of ${bigMb} MB, ${bigCount} small), ${((bigCount * bigMb) / 1024).toFixed(2)} GB, APPEND in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const configs: Array<{ label: string; vars: Record<string, string> }> = [
      {
        label: 'by count alone (100 messages, before)',
        vars: { BENCH_CHILD_BATCH: '100', BENCH_CHILD_BYTES: String(Number.MAX_SAFE_INTEGER) },
      },
      { label: 'by count and bytes (default: 100 messages / 8 MB)', vars: {} },
    ];
    const results = configs.map(() => [] as ChildResult[]);
    for (let r = 0; r < runs; r++)
      for (const [k, c] of configs.entries()) {
        const scratch = await createScratchPostgres();
        try {
          const res = await runChild({
            ...c.vars,
            BENCH_DATABASE_URL: scratch.url,
            BENCH_PORT: String(dovecot.port),
            BENCH_USER: account.user,
            BENCH_PASSWORD: account.password,
          });
          if (res.logged !== n) throw new Error(`${c.label}: logged ${res.logged} of ${n}`);
          results[k].push(res);
        } finally {
          await scratch.drop();
        }
      }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const peaks = results.map((rs) => median(rs.map((x) => x.maxRssMb)));
    for (const [k, c] of configs.entries()) {
      const rs = results[k];
      console.log(
        `${c.label}: max RSS median ${peaks[k].toFixed(0)} MB (runs ${rs.map((x) => x.maxRssMb.toFixed(0)).join(', ')}; ${median(rs.map((x) => x.rssBeforeMb)).toFixed(0)} MB before the sync), sync ${median(rs.map((x) => x.ms))} ms median, ${n} logged`,
      );
    }
    const times = results.map((rs) => median(rs.map((x) => x.ms)));
    console.log(
      `bytes-bounded / count-only: peak memory ${(peaks[1] / peaks[0]).toFixed(2)}, sync time ${(times[1] / times[0]).toFixed(2)}`,
    );
  } finally {
    await dovecot.stop();
  }
}
