/**
 * bench:imap-listing: what a first sync of a whole folder (IMAP_SINCE_DAYS=0) holds before its first
 * batch, with the folder's metadata fetched at once (UID, size and INTERNALDATE of every message: the
 * sync before paging) and as the sync lists it now (UID SEARCH, then the sizes of one page), side by side
 * in one run, alternating, BENCH_RUNS times each (default 3); medians are printed. The folder holds
 * BENCH_MESSAGES small messages (default 200,000), written into a throwaway Dovecot's maildir directly.
 * Retained heap is measured after a full GC, with the listing still referenced.
 * Run: npm run bench:imap-listing  (needs Dovecot installed, like the IMAP tests).
 */
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_LIST_PAGE_MESSAGES, listPage, listUids } from '../connectors/imap/list-folder.ts';
import { startDovecot } from '../test/helpers/dovecot.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const count = Number(process.env.BENCH_MESSAGES ?? 200_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
/** Dovecot's mail user in the test helper's config (maildir files must be theirs). */
const MAIL_UID = 8;

const dovecot = await startDovecot();
try {
  const account = await dovecot.addUser();
  const cur = join(dovecot.mailDir(account.user), 'cur');
  const t0 = Date.now();
  for (let i = 0; i < count; i += 1_000) {
    await Promise.all(
      Array.from({ length: Math.min(1_000, count - i) }, async (_, k) => {
        const n = i + k;
        const file = join(cur, `${1_700_000_000 + n}.M${n}P1.bench:2,S`);
        await writeFile(
          file,
          `From: a${n}@x${n % 500}.com\r\nTo: s@support.example\r\nSubject: m ${n}\r\nMessage-ID: <m${n}@x.com>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello ${n}\r\n`,
        );
        await chown(file, MAIL_UID, MAIL_UID);
      }),
    );
  }
  const client = await dovecot.client(account);
  const t1 = Date.now();
  await client.mailboxOpen('INBOX', { readOnly: true });
  console.log(
    `folder: ${client.mailbox ? client.mailbox.exists : '?'} messages (written in ${((t1 - t0) / 1000).toFixed(1)} s, indexed by Dovecot in ${((Date.now() - t1) / 1000).toFixed(1)} s)`,
  );

  const measure = async (list: () => Promise<unknown>) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const held = await list();
    const ms = performance.now() - started;
    gc();
    const mb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    if (!held) throw new Error('nothing listed');
    return { ms, mb };
  };
  const atOnce = () => client.fetchAll('1:*', { uid: true, size: true, internalDate: true }, { uid: true });
  const paged = async () => {
    const uids = await listUids(client, { all: true });
    return { uids, page: await listPage(client, uids.slice(0, DEFAULT_LIST_PAGE_MESSAGES)) };
  };
  const results = { atOnce: [] as Array<{ ms: number; mb: number }>, paged: [] as Array<{ ms: number; mb: number }> };
  for (let r = 0; r < runs; r++) {
    results.atOnce.push(await measure(atOnce));
    results.paged.push(await measure(paged));
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const row = (name: string, xs: Array<{ ms: number; mb: number }>) => {
    const ms = median(xs.map((x) => x.ms));
    const mb = median(xs.map((x) => x.mb));
    console.log(
      `${name}: ${(ms / 1000).toFixed(2)} s, ${mb.toFixed(1)} MB of heap held (${((mb * 1024 * 1024) / count).toFixed(0)} bytes a message); runs ${xs.map((x) => `${(x.ms / 1000).toFixed(2)} s/${x.mb.toFixed(1)} MB`).join(', ')}`,
    );
    return { ms, mb };
  };
  const a = row('metadata of every message at once (before)', results.atOnce);
  const p = row(`UIDs, then the first page of ${DEFAULT_LIST_PAGE_MESSAGES} sizes (now)`, results.paged);
  console.log(
    `held: now / before = ${(p.mb / a.mb).toFixed(3)}; time to the first batch: now / before = ${(p.ms / a.ms).toFixed(2)}`,
  );
  await client.logout();
} finally {
  await dovecot.stop();
}
