/**
 * bench:erase-quarantine: how long `rapport erase` spends on the quarantined mail inside its transaction,
 * with BENCH_MAILS quarantined mails (default 5,000) of BENCH_MAIL_KB kB (default 20) of which 10 name
 * the erased customer (5 by address, 5 at a subdomain of its domain), three ways side by side in one run,
 * alternating, BENCH_RUNS times each (default 3), medians printed:
 *   before   the head of every mail read and parsed, page by page (the code before the address columns,
 *            its SQL verbatim);
 *   now      the mails found by the addresses stored when they were quarantined (GIN indexes);
 *   upgrade  now, on rows kept before the migration (addresses NULL): read once as before (a page by the
 *            partial index, no longer sorting all the rows after it), and stored.
 * Each run is one transaction rolled back, so every run sees the same quarantine. BENCH_KINDS picks the
 * databases (default "postgres,pglite"; PostgreSQL is a scratch database on RAPPORT_TEST_POSTGRES_URL).
 * Run: npm run bench:erase-quarantine
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../src/db/database.ts';
import type { DbClient } from '../src/db/db-client.ts';
import { inTransaction } from '../src/db/db-client.ts';
import { deleteQuarantinedMail, quarantinedMailSource, quarantineMail } from '../src/db/mail-quarantine.repository.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { mailAddressIndex } from '../src/domain/mail-address-index.ts';
import { mailHeaderAddresses } from '../src/domain/mail-header-addresses.ts';
import {
  type ErasedAddresses,
  eraseQuarantinedMail,
  namesErasedAddress,
} from '../src/services/erase-quarantined-mail.service.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';

const mails = Number(process.env.BENCH_MAILS ?? 5_000);
const mailBytes = Number(process.env.BENCH_MAIL_KB ?? 20) * 1024;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const kinds = (process.env.BENCH_KINDS ?? 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>;
const WHO: ErasedAddresses = { addresses: ['jonas@pathname.com'], domains: ['pathname.com'] };
const NAMING = 10;

/** The erase of the quarantine as it was before the address columns: every mail's first 64 kB read and parsed. */
async function eraseBefore(tx: DbClient, who: ErasedAddresses): Promise<number> {
  const HEAD_BYTES = 64 * 1024;
  let deleted = 0;
  let afterId: string | undefined;
  for (;;) {
    // The statement as it was, verbatim: ORDER BY id sorted by the select list's text id, so every page
    // read and sorted the heads of all the rows after it.
    const page = await tx.$queryRawUnsafe<{ id: string; head: Uint8Array }[]>(
      `SELECT id::text AS id, substring(raw from 1 for $1::int) AS head FROM "MailQuarantine"
        WHERE $2::uuid IS NULL OR id > $2::uuid ORDER BY id LIMIT $3::int`,
      HEAD_BYTES,
      afterId ?? null,
      200,
    );
    if (page.length === 0) return deleted;
    const doomed: string[] = [];
    for (const row of page) {
      let read = mailHeaderAddresses(row.head);
      if (!read.headersEnded && row.head.byteLength >= HEAD_BYTES) {
        const raw = await quarantinedMailSource(tx, row.id);
        if (raw) read = mailHeaderAddresses(raw);
      }
      if (namesErasedAddress(read.addresses, who)) doomed.push(row.id);
    }
    deleted += await deleteQuarantinedMail(tx, doomed);
    afterId = page[page.length - 1].id;
  }
}

function mail(n: number): Buffer {
  const every = Math.floor(mails / NAMING);
  const from =
    n % every === 0 && n / every < NAMING
      ? (n / every) % 2 === 0
        ? 'Jonas <jonas@pathname.com>'
        : `Billing <billing${n}@eu.pathname.com>`
      : `Sender ${n} <s${n}@x${n % 500}.com>`;
  const head = [
    `Received: from mx${n % 7}.example by mx.support.example; Mon, 1 Jan 2024 10:00:00 +0000`,
    `From: ${from}`,
    'To: support@support.example',
    `Cc: c${n}@y${n % 300}.org`,
    `Subject: quarantined ${n}`,
    `Message-ID: <q${n}@bench.example>`,
    'Date: Mon, 1 Jan 2024 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    '',
  ].join('\r\n');
  // Random text: it does not compress, as real mail (attachments, HTML) mostly does not.
  const body = randomBytes(Math.ceil(((mailBytes - head.length) * 3) / 4))
    .toString('base64')
    .slice(0, mailBytes - head.length);
  return Buffer.from(head + body);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

class Rollback extends Error {}

/** Milliseconds `erase` takes in a transaction that is then rolled back; `prepare` runs before the clock. */
async function timed(
  db: Database,
  erase: (tx: DbClient) => Promise<number>,
  prepare?: (tx: DbClient) => Promise<unknown>,
): Promise<{ ms: number; deleted: number }> {
  let out = { ms: 0, deleted: 0 };
  await inTransaction(
    db,
    async (tx) => {
      await prepare?.(tx);
      const t0 = performance.now();
      const deleted = await erase(tx);
      out = { ms: performance.now() - t0, deleted };
      throw new Rollback();
    },
    { timeout: 600_000 },
  ).catch((err) => {
    if (!(err instanceof Rollback)) throw err;
  });
  return out;
}

for (const kind of kinds) {
  const scratch = kind === 'postgres' ? await createScratchPostgres() : undefined;
  const db = await openDatabase(scratch ? { databaseUrl: scratch.url } : {});
  try {
    const t0 = performance.now();
    // A few through quarantineMail (the sync's path), the rest in bulk with the same stored addresses.
    for (let n = 0; n < Math.min(mails, 20); n++)
      await quarantineMail(db, {
        mailbox: 'support@support.example',
        raw: mail(n),
        headers: {},
        error: 'x',
        note: 'x',
      });
    for (let n = 20; n < mails; n += 100) {
      const rows = Array.from({ length: Math.min(100, mails - n) }, (_, k) => {
        const raw = mail(n + k);
        return {
          hash: createHash('sha256').update(raw).digest('hex'),
          raw: raw.toString('hex'),
          ...mailAddressIndex(raw),
        };
      });
      await db.sql.query(
        `INSERT INTO "MailQuarantine" (id, "sourceHash", mailbox, raw, error, note, "updatedAt", "headerAddresses", "headerDomains")
         SELECT gen_random_uuid(), r->>'hash', 'support@support.example', decode(r->>'raw', 'hex'), 'x', 'x', now(),
                ARRAY(SELECT jsonb_array_elements_text(r->'addresses')), ARRAY(SELECT jsonb_array_elements_text(r->'domains'))
           FROM jsonb_array_elements($1::jsonb) r`,
        [JSON.stringify(rows)],
      );
    }
    await db.sql.exec('ANALYZE "MailQuarantine"');
    console.log(
      `${kind}: ${mails} quarantined mails of ${mailBytes / 1024} kB (${NAMING} naming the customer) written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const ways = {
      before: () => timed(db, (tx) => eraseBefore(tx, WHO)),
      now: () => timed(db, (tx) => eraseQuarantinedMail(tx, WHO)),
      upgrade: () =>
        timed(
          db,
          (tx) => eraseQuarantinedMail(tx, WHO),
          (tx) => tx.$executeRawUnsafe(`UPDATE "MailQuarantine" SET "headerAddresses" = NULL, "headerDomains" = NULL`),
        ),
    };
    const results: Record<keyof typeof ways, number[]> = { before: [], now: [], upgrade: [] };
    for (let r = 0; r < runs; r++)
      for (const way of Object.keys(ways) as Array<keyof typeof ways>) {
        const { ms, deleted } = await ways[way]();
        if (deleted !== NAMING) throw new Error(`${way} deleted ${deleted} mails, not ${NAMING}`);
        results[way].push(ms);
      }
    const line = (way: keyof typeof ways, what: string) =>
      console.log(
        `  ${way.padEnd(8)} ${median(results[way]).toFixed(1).padStart(8)} ms  ${what} (runs ${results[way].map((x) => x.toFixed(1)).join(', ')} ms)`,
      );
    line('before', 'every mail read and parsed');
    line('now', 'found by the stored addresses');
    line('upgrade', 'first erase on rows kept before the migration: read once, stored');
    console.log(
      `  now / before = ${(median(results.now) / median(results.before)).toFixed(4)} (${(median(results.before) / median(results.now)).toFixed(0)}x faster); upgrade / before = ${(median(results.upgrade) / median(results.before)).toFixed(2)}`,
    );
  } finally {
    await db.close();
    await scratch?.drop();
  }
}
