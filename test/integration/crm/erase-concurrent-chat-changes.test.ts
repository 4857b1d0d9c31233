import { Writable } from 'node:stream';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';
import { correctLabel } from '../../../src/services/correct-label.service.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { deleteChatMessage, editChatMessage, logChatMessage } from '../../../src/services/log-chat-message.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { everyRow } from '../../helpers/every-row.ts';
import { LEARNING_ADMIN as ADMIN, LearningDatabase } from '../../helpers/learned-model.ts';
import { waitForLockWaiters } from '../../helpers/lock-waiters.ts';
import { TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const NOW = new Date('2026-12-01T15:00:00Z');

/**
 * A customer erased while a chat message of a conversation it touches is deleted on its platform, or a
 * rep corrects that conversation's label, or another customer it wrote to is erased: on PostgreSQL
 * (READ COMMITTED, one connection each) they run side by side. A third session holds the erased
 * company's row, so the erasure has changed what it changes and waits to delete the company while the
 * other change starts; then it lets go (README, "Erase means erase"). PGlite has one connection: nothing
 * runs side by side there.
 */
describe.runIf(TEST_DATABASE_KINDS.includes('postgres'))('an erasure beside concurrent chat changes (postgres)', () => {
  let learning: LearningDatabase;
  let t: TestDatabase;
  let holder: pg.Client;

  // A database per test: each erases customers and scans every row for their words.
  beforeEach(async () => {
    learning = await LearningDatabase.open('postgres');
    ({ t } = learning);
    holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
  });
  afterEach(async () => {
    await holder?.end();
    await learning?.dispose();
  });

  let n = 0;
  /** A Slack message by `author` in `channel` (a thread of its own, or a reply in `thread`), logged for `companyId`. */
  async function chat(
    at: { companyId: string; channel: string; thread?: string },
    author: { platformUserId: string; name: string; email: string; companyId: string },
    text: string,
  ) {
    const ts = `${1765100000 + n++}.000100`;
    const o = await logChatMessage(
      t.db,
      {
        platform: 'slack',
        channelRef: `T1/${at.channel}`,
        threadKey: at.thread ?? ts,
        messageKey: ts,
        author: { platformUserId: author.platformUserId, name: author.name, email: author.email, isBot: false },
        direction: 'inbound',
        text,
        sentAt: new Date(NOW.getTime() + n * 60_000),
        companyId: at.companyId,
        // Their address names their own customer: they are its contact wherever they write.
        contactCompanyId: author.companyId,
      },
      noopPipelineHooks,
    );
    if (o.status !== 'logged') throw new Error(o.status);
    return { recordId: o.recordId, messageId: o.messageId, ts };
  }
  const deleted = (channel: string, ts: string) =>
    deleteChatMessage(t.db, { platform: 'slack', channelRef: `T1/${channel}`, messageKey: ts }, noopPipelineHooks);

  /** Acme (to be erased) and Globex, Bob of Acme and Gina of Globex. */
  async function customers() {
    const acme = await learning.company('Acme Rockets', 'acme.example');
    const globex = await learning.company('Globex Corporation', 'globex.example');
    const bob = { platformUserId: 'T1/UBOB', name: 'Bob Nakamura', email: 'bob@acme.example', companyId: acme };
    const gina = { platformUserId: 'T1/UGINA', name: 'Gina Gold', email: 'gina@globex.example', companyId: globex };
    return { acme, globex, bob, gina };
  }

  /** Gina asks in Globex's channel and Bob (of Acme) replies in her thread. */
  async function bobRepliesToGina(c: Awaited<ReturnType<typeof customers>>, question: string, answer: string) {
    const thread = await chat({ companyId: c.globex, channel: 'CGLOBEX' }, c.gina, question);
    const reply = await chat({ companyId: c.globex, channel: 'CGLOBEX', thread: thread.ts }, c.bob, answer);
    return { thread, reply };
  }
  /** No row of any table holds any of these words (lower case). */
  async function expectNoTrace(...traces: string[]) {
    const rows = await everyRow(t.db);
    for (const trace of traces) expect(rows, trace).not.toContain(trace);
  }

  /** The third session holds these companies' rows: an erasure of one waits there to delete it. */
  async function holdCompanies(...ids: string[]) {
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM "Company" WHERE id = ANY($1::uuid[]) FOR UPDATE`, [ids]);
  }
  /** Runs `p`, and says when it settled (a change that waits for nothing may finish at once). */
  function watched<T>(p: Promise<T>) {
    const w = { settled: false, result: p };
    w.result = p.finally(() => {
      w.settled = true;
    });
    return w;
  }

  it('keeps the erased words out of a training text that a platform delete in the same conversation takes again meanwhile', async () => {
    const c = await customers();
    const { acme, globex, gina } = c;
    const first = 'Shall we extend the hydroponic greenhouse contract for another year?';
    const { thread } = await bobRepliesToGina(c, first, "We'll cancel the renewal: the quarzelflux pilot is over");
    const regret = await chat(
      { companyId: globex, channel: 'CGLOBEX', thread: thread.ts },
      gina,
      'Our zibblewomp budget is frozen too',
    );
    await learning.correct(thread.recordId, regret.messageId, 'churn');

    await holdCompanies(acme);
    const erasing = watched(eraseCustomer(t.db, acme, ADMIN));
    await waitForLockWaiters(holder, 1);
    // Gina deletes her message while the erasure waits to commit.
    const deleting = watched(deleted('CGLOBEX', regret.ts));
    await waitForLockWaiters(holder, 2, () => deleting.settled);
    await holder.query('COMMIT');
    await erasing.result;
    expect(await deleting.result).toMatchObject({ status: 'deleted', recordDeleted: false });

    // Globex's correction keeps Gina's first words only: neither Bob's nor the deleted ones came back.
    const examples = await t.db.prisma.labeledExample.findMany({ where: { recordId: thread.recordId } });
    expect(examples.map((e) => [e.text, e.label])).toEqual([[`${first}\n\n[erased]`, 'churn']]);
    await expectNoTrace('quarzelflux', 'zibblewomp', 'nakamura', 'bob@acme.example');
  }, 120_000);

  it('keeps out the words of their own reply edited on the platform while they are erased', async () => {
    const c = await customers();
    const { reply } = await bobRepliesToGina(c, 'Which crates go out first?', 'The red ones, I think');
    const { acme } = c;

    await holdCompanies(acme);
    const erasing = watched(eraseCustomer(t.db, acme, ADMIN));
    await waitForLockWaiters(holder, 1);
    // Bob edits his reply on Slack while the erasure waits to commit.
    const editing = watched(
      editChatMessage(
        t.db,
        {
          platform: 'slack',
          channelRef: 'T1/CGLOBEX',
          messageKey: reply.ts,
          text: 'The red ones, and the frumpleton valves in crate 9',
          editedAt: new Date(),
        },
        noopPipelineHooks,
      ),
    );
    await waitForLockWaiters(holder, 2, () => editing.settled);
    await holder.query('COMMIT');
    await erasing.result;
    // The erasure went first: the edit finds no message of theirs to change (as one arriving after it).
    expect(await editing.result).toEqual({ status: 'not_found' });

    const left = await t.db.prisma.message.findUniqueOrThrow({ where: { id: reply.messageId } });
    expect([left.text, left.cleanText, left.authorName]).toEqual(['[erased]', '[erased]', null]);
    await expectNoTrace('frumpleton');
  }, 120_000);

  it("lets a rep's correction of the erased customer's own conversation wait, then says it is gone, without a deadlock", async () => {
    const { acme, bob } = await customers();
    const own = await chat({ companyId: acme, channel: 'CACME' }, bob, 'The zanzibar trade launch slipped again');
    await learning.correct(own.recordId, own.messageId, 'issue');

    await holdCompanies(acme);
    const erasing = watched(eraseCustomer(t.db, acme, ADMIN));
    await waitForLockWaiters(holder, 1);
    // A rep corrects the conversation again while the erasure waits to commit.
    const correcting = watched(correctLabel(t.db, own.recordId, 'churn', ADMIN));
    await waitForLockWaiters(holder, 2, () => correcting.settled);
    await holder.query('COMMIT');
    const [erasure, correction] = await Promise.allSettled([erasing.result, correcting.result]);

    expect(erasure.status).toBe('fulfilled');
    // The rep is told the conversation is gone, in words.
    expect(correction).toMatchObject({ status: 'rejected', reason: { name: 'RapportError', code: 'not_found' } });
    expect(await t.db.prisma.communicationRecord.count({ where: { id: own.recordId } })).toBe(0);
    expect(await t.db.prisma.labeledExample.count({ where: { recordId: own.recordId } })).toBe(0);
    await expectNoTrace('zanzibar');
  }, 120_000);

  it('erases two customers who wrote in each other’s channels at the same time, one after the other', async () => {
    const { acme, globex, bob, gina } = await customers();
    const inGlobex = await chat({ companyId: globex, channel: 'CGLOBEX' }, gina, 'Is the snorkwidget order on track?');
    await chat(
      { companyId: globex, channel: 'CGLOBEX', thread: inGlobex.ts },
      bob,
      'The blorptastic crates ship on Monday',
    );
    const inAcme = await chat({ companyId: acme, channel: 'CACME' }, bob, 'Our launch pad needs a new gantry');
    await chat(
      { companyId: acme, channel: 'CACME', thread: inAcme.ts },
      gina,
      'Globex can lend you the wimbleshank crane',
    );

    await holdCompanies(acme, globex);
    const erasingAcme = watched(eraseCustomer(t.db, acme, ADMIN));
    await waitForLockWaiters(holder, 1);
    const erasingGlobex = watched(eraseCustomer(t.db, globex, ADMIN));
    await waitForLockWaiters(holder, 2, () => erasingGlobex.settled);
    await holder.query('COMMIT');
    const outcomes = await Promise.allSettled([erasingAcme.result, erasingGlobex.result]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await t.db.prisma.company.count({ where: { id: { in: [acme, globex] } } })).toBe(0);
    await expectNoTrace('snorkwidget', 'blorptastic', 'gantry', 'wimbleshank', 'nakamura', 'gina gold');
  }, 120_000);

  it('starts again when it is chosen to break a deadlock, completes, and says so in the log', async () => {
    const c = await customers();
    const { reply } = await bobRepliesToGina(
      c,
      'Who signs the hovercraft lease?',
      'I sign it, the quibbleflax clause is fine',
    );
    const { acme } = c;
    const logged: string[] = [];
    const logger = createLogger(
      'warn',
      new Writable({
        write(chunk, _enc, done) {
          logged.push(String(chunk));
          done();
        },
      }),
    );

    await holdCompanies(acme);
    // The third session waits long before it looks for a deadlock: the erasure finds it and gives way.
    await holder.query(`SET LOCAL deadlock_timeout = '10s'`);
    const erasing = watched(eraseCustomer(t.db, acme, ADMIN, { logger }));
    await waitForLockWaiters(holder, 1);
    // The erasure has redacted Bob's reply and waits for the company: the third session now wants the reply.
    await holder.query(`SELECT 1 FROM "Message" WHERE id = $1::uuid FOR UPDATE`, [reply.messageId]);
    await holder.query('COMMIT');
    const erased = await erasing.result;

    expect(erased.counts.redactedMessages).toBe(1);
    expect(await t.db.prisma.company.count({ where: { id: acme } })).toBe(0);
    await expectNoTrace('quibbleflax', 'nakamura');
    expect(logged.join('')).toMatch(/deadlock.*again/i);
  }, 120_000);
});
