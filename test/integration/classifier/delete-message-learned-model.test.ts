import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDefaultModel } from '../../../src/classifier/default-model.ts';
import { retrainModel } from '../../../src/classifier/retrain.ts';
import { readCorrections } from '../../../src/db/correction.repository.ts';
import { erasureMark, trainingMark } from '../../../src/db/insights.repository.ts';
import { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { correctLabel } from '../../../src/services/correct-label.service.ts';
import { deleteChatMessage, editChatMessage, logChatMessage } from '../../../src/services/log-chat-message.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import { everyRow } from '../../helpers/every-row.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const NOW = new Date('2026-12-01T15:00:00Z');
const ADMIN = { repId: 'admin', platform: 'console' };
const defaultModel = buildDefaultModel();
const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * A chat message its author deletes on Slack or Teams after a rep corrected its conversation: the
 * correction's training text is taken again without it (or deleted with the record when it was the
 * last message), and the learned models that may have read it are withdrawn as an erasure withdraws
 * them (README, "Erase means erase"). Through deleteChatMessage, the function the Slack and Teams
 * auto-loggers call for `message_deleted` and a Teams message delete.
 */
describe.each(TEST_DATABASE_KINDS)('a deleted chat message leaves the training text and the models (%s)', (kind) => {
  let t: TestDatabase;
  let store: PrismaModelStore;

  // A database per test: a retrain holds out the newest quarter of the corrections once there are 4,
  // so another test's corrections before this one's would keep this one's words out of the model
  // (seed 268356 ran them in that order).
  beforeEach(async () => {
    t = await createTestDatabase(kind);
    store = new PrismaModelStore(t.db);
    await store.save(defaultModel, { activate: true });
  });
  afterEach(async () => {
    await t?.dispose();
  });

  /** A customer with its own Slack channel, and a way to log its people's messages there. */
  async function customer(name: string) {
    const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
    const companyId = (
      await t.db.prisma.company.create({
        data: { name, normalizedName: normalizeCompanyName(name), domains: [] },
      })
    ).id;
    const author = {
      platformUserId: `T1/U${channel}`,
      name: `${name} Buyer`,
      isBot: false,
    };
    let n = 0;
    const chat = async (text: string, thread = '') => {
      const ts = `${1765000000 + n++}.000100`;
      const o = await logChatMessage(
        t.db,
        {
          platform: 'slack',
          channelRef: `T1/${channel}`,
          threadKey: thread || ts,
          messageKey: ts,
          author,
          direction: 'inbound',
          text,
          sentAt: new Date(NOW.getTime() + n * 60_000),
          companyId,
        },
        noopPipelineHooks,
      );
      if (o.status !== 'logged') throw new Error(o.status);
      return { recordId: o.recordId, ts };
    };
    const deleted = (ts: string) =>
      deleteChatMessage(t.db, { platform: 'slack', channelRef: `T1/${channel}`, messageKey: ts }, noopPipelineHooks);
    const edited = (ts: string, text: string) =>
      editChatMessage(
        t.db,
        { platform: 'slack', channelRef: `T1/${channel}`, messageKey: ts, text, editedAt: new Date() },
        noopPipelineHooks,
      );
    return { chat, deleted, edited };
  }

  /** Classifies a record's newest message as `other` and a rep corrects the record to `label` (the learning loop). */
  async function corrected(recordId: string, label: string) {
    const message = await t.db.prisma.message.findFirstOrThrow({
      where: { recordId },
      orderBy: { sentAt: 'desc' },
      select: { id: true },
    });
    await t.db.prisma.classification.create({
      data: {
        recordId,
        messageId: message.id,
        label: 'other',
        confidence: 0.4,
        scores: {},
        modelVersion: defaultModel.version,
      },
    });
    expect((await correctLabel(t.db, recordId, label, ADMIN)).changed).toBe(true);
  }
  /** Retrains on every correction and makes the new model the active one, whatever the gate said. */
  async function learned(version: string) {
    expect((await retrainClassifier(t.db, store, { requestedBy: 'cli', version })).status).toMatch(
      /activated|kept-current/,
    );
    await store.activate(version);
  }
  const modelRow = async (version: string) =>
    (
      await t.db.sql.query<{ j: string }>(`SELECT row_to_json(m)::text AS j FROM "Model" m WHERE version = $1`, [
        version,
      ])
    )[0]?.j.toLowerCase();
  const versions = async () => (await store.list()).map((m) => m.version);
  const example = (recordId: string) =>
    t.db.prisma.labeledExample.findMany({
      where: { recordId },
      select: { text: true, label: true, createdAt: true, updatedAt: true },
    });

  it('takes the training text again without a message deleted after the correction, and withdraws the models that learned it', async () => {
    await store.activate(defaultModel.version);
    const { chat, deleted } = await customer('Vandelay Imports');
    const first = 'Could you send the updated price list for the latex range?';
    const thread = await chat(first);
    const regret = await chat(
      'Honestly the blorptastic wimbleshank from your rival is cheaper, we may walk away',
      thread.ts,
    );
    expect(regret.recordId).toBe(thread.recordId);
    await corrected(thread.recordId, 'churn');
    const [before] = await example(thread.recordId);
    expect(before.text).toContain('wimbleshank');
    await learned('crm-learned-regret');
    expect(await modelRow('crm-learned-regret')).toContain('wimbleshank');
    await tick();

    // The author deletes the message on Slack.
    expect(await deleted(regret.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // The correction stays (label, first words, and the label's time the retrain splits by); the words go.
    const after = await example(thread.recordId);
    expect(after).toEqual([{ text: first, label: 'churn', createdAt: before.createdAt, updatedAt: before.updatedAt }]);
    const correction = (await readCorrections(t.db)).find((c) => c.recordId === thread.recordId);
    expect(correction?.updatedAt).toEqual(before.updatedAt);
    // The model that learned them went; the built-in one classifies until the nightly retrain.
    expect(await versions()).not.toContain('crm-learned-regret');
    expect(await store.activeVersion()).toBe(defaultModel.version);
    // The withdrawal is written down: the nightly retrain runs on it even with no new correction.
    const withdrawal = await t.db.prisma.auditLog.findFirstOrThrow({
      where: { action: 'model.withdraw', subject: thread.recordId },
    });
    expect(withdrawal.details).toMatchObject({ reason: 'message.delete' });
    expect((withdrawal.details as { versions: string[] }).versions).toContain('crm-learned-regret');
    const rows = await everyRow(t.db);
    for (const trace of ['wimbleshank', 'blorptastic']) expect(rows, trace).not.toContain(trace);

    // The nightly run learns the correction again, without the deleted words.
    const nightly = await retrainClassifier(t.db, store, { requestedBy: 'schedule', version: 'crm-learned-unsaid' });
    expect(nightly.status).toMatch(/activated|kept-current/);
    const relearned = await modelRow('crm-learned-unsaid');
    expect(relearned).toContain('latex');
    for (const trace of ['wimbleshank', 'blorptastic']) expect(relearned).not.toContain(trace);
  }, 300_000);

  it("deletes a conversation's training example with it when its last message is deleted, and withdraws the models that learned it", async () => {
    await store.activate(defaultModel.version);
    const { chat, deleted } = await customer('Kramerica Industries');
    const only = await chat('The oil tanker bladder zindleworp prototype leaked again, we want a refund');
    await corrected(only.recordId, 'issue');
    await learned('crm-learned-zindleworp');
    expect(await modelRow('crm-learned-zindleworp')).toContain('zindleworp');
    await tick();

    expect(await deleted(only.ts)).toMatchObject({ status: 'deleted', recordDeleted: true });

    expect(await t.db.prisma.communicationRecord.count({ where: { id: only.recordId } })).toBe(0);
    expect(await example(only.recordId)).toEqual([]);
    expect(await versions()).not.toContain('crm-learned-zindleworp');
    expect(await store.activeVersion()).toBe(defaultModel.version);
    const rows = await everyRow(t.db);
    expect(rows).not.toContain('zindleworp');
  }, 300_000);

  it('keeps the models when the deleted message came after the correction took the text', async () => {
    await store.activate(defaultModel.version);
    const { chat, deleted } = await customer('Pendant Publishing');
    const first = 'Please renew our subscription for the coming year';
    const thread = await chat(first);
    await corrected(thread.recordId, 'purchase');
    await learned('crm-learned-renewal');
    await tick();
    // A later message, never part of the correction's text, deleted: nothing learned held it.
    const later = await chat('Typo, ignore this', thread.ts);
    expect(await deleted(later.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    expect((await example(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await versions()).toContain('crm-learned-renewal');
    expect(await store.activeVersion()).toBe('crm-learned-renewal');
  }, 300_000);

  it('refuses a training example of a record that does not exist', async () => {
    await expect(
      t.db.sql.query(
        `INSERT INTO "LabeledExample" (id, text, label, source, "recordId", "createdAt", "updatedAt")
         VALUES (gen_random_uuid(), 'orphan words', 'other', 'correction', $1::uuid, now(), now())`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/foreign key/i);
  });

  it('changes nothing when messages stored after the correction took its text are deleted, even ones its text contains or ones edited', async () => {
    await store.activate(defaultModel.version);
    const { chat, deleted, edited } = await customer('Monk Cafe Supplies');
    const first = 'Please renew our subscription for the coming year';
    const thread = await chat(first);
    await corrected(thread.recordId, 'purchase');
    await learned('crm-learned-renew');
    await tick();
    // Later messages, never part of the correction's text: one its text happens to contain, one edited.
    const echo = await chat('renew', thread.ts);
    const fixed = await chat('Thx', thread.ts);
    expect(await edited(fixed.ts, 'Thanks a lot')).toMatchObject({ status: 'updated' });
    await chat('See you Monday', thread.ts);
    const training = await trainingMark(t.db.sql);

    expect(await deleted(echo.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });
    expect(await deleted(fixed.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // The correction's text is as taken (the later messages never joined it), the model stays.
    expect((await example(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await versions()).toContain('crm-learned-renew');
    expect(await store.activeVersion()).toBe('crm-learned-renew');
    expect(await trainingMark(t.db.sql)).toBe(training);
    const audit = await t.db.prisma.auditLog.findMany({
      where: { action: 'message.delete', subject: thread.recordId },
    });
    expect(audit.map((a) => (a.details as { trainingText: string }).trainingText)).toEqual(['kept', 'kept']);
  }, 300_000);

  it('takes the text again from the messages it was taken from only, and changes the training mark, not the erasure mark', async () => {
    await store.activate(defaultModel.version);
    const { chat, deleted } = await customer('Dream Cafe Holdings');
    const first = 'We need two more seats on the analytics plan';
    const thread = await chat(first);
    const regret = await chat('Our snorkelwhip budget froze, cancel that', thread.ts);
    await corrected(thread.recordId, 'purchase');
    await learned('crm-learned-seats');
    await tick();
    // Posted after the correction: not its text, and not after the rebuild either.
    await chat('By the way, the quibbleflax dashboard is slow', thread.ts);
    const erasure = await erasureMark(t.db.sql);
    const training = await trainingMark(t.db.sql);

    expect(await deleted(regret.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // A platform delete is no erasure: the insights keep their caches and refreshes (erasure mark),
    // while a retrain that read the old text does not store its model (training mark).
    expect(await erasureMark(t.db.sql)).toBe(erasure);
    expect(await trainingMark(t.db.sql)).not.toBe(training);
    expect((await example(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await versions()).not.toContain('crm-learned-seats');
  }, 300_000);

  it('does not store a model a platform delete overtook, and says so without calling it an erasure', async () => {
    await store.activate(defaultModel.version);
    const { chat, deleted } = await customer('Tyler Chicken');
    const thread = await chat('We are weighing the renewal against a cheaper offer');
    const replies: Array<{ ts: string }> = [];
    for (const text of ['plumbus one', 'plumbus two', 'plumbus three'])
      replies.push(await chat(`Our ${text} quote arrived`, thread.ts));
    await corrected(thread.recordId, 'churn');
    // Every attempt reads the corrections, then a message of the correction's text is deleted.
    let attempt = 0;
    const outcome = await retrainClassifier(
      t.db,
      store,
      { requestedBy: 'cli', version: 'crm-learned-overtaken' },
      async (input) => {
        expect(await deleted(replies[attempt++].ts)).toMatchObject({ status: 'deleted' });
        return retrainModel(input);
      },
    );
    expect(attempt).toBe(3);
    expect(outcome.status).toBe('training-changed-meanwhile');
    expect(outcome.text).toMatch(/training data changed/i);
    expect(outcome.text).not.toMatch(/erase/i);
    expect(await versions()).not.toContain('crm-learned-overtaken');
  }, 300_000);

  it.runIf(kind === 'postgres')(
    'keeps out the words of two messages of one corrected record deleted at the same time',
    async () => {
      await store.activate(defaultModel.version);
      const { chat, deleted } = await customer('Sack Lunch Foods');
      const first = 'Can we move the onboarding call to Thursday?';
      const thread = await chat(first);
      const one = await chat('Our frobnicator budget is gone', thread.ts);
      const two = await chat('And the gizmoflange team left', thread.ts);
      await corrected(thread.recordId, 'churn');

      // A third session holds the example's row, so both deletes are under way before either commits.
      const holder = new pg.Client({ connectionString: t.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM "LabeledExample" WHERE "recordId" = $1::uuid FOR UPDATE`, [thread.recordId]);
        const both = Promise.all([deleted(one.ts), deleted(two.ts)]);
        await waitForLockWaiters(holder, 2);
        await holder.query('COMMIT');
        expect((await both).map((r) => r.status)).toEqual(['deleted', 'deleted']);
      } finally {
        await holder.end();
      }

      expect((await example(thread.recordId)).map((e) => e.text)).toEqual([first]);
      const rows = await everyRow(t.db);
      for (const trace of ['frobnicator', 'gizmoflange']) expect(rows, trace).not.toContain(trace);
    },
    120_000,
  );

  it.runIf(kind === 'postgres')(
    "keeps out the words of a message deleted while a rep's correction takes the text",
    async () => {
      await store.activate(defaultModel.version);
      const { chat, deleted } = await customer('Mendy Cab Company');
      const first = 'Is the fleet plan still on track for March?';
      const thread = await chat(first);
      const regret = await chat('We signed with the zapruder shuttle people instead', thread.ts);
      const classification = await t.db.prisma.classification.create({
        data: {
          recordId: thread.recordId,
          messageId: (await t.db.prisma.message.findFirstOrThrow({ where: { recordId: thread.recordId } })).id,
          label: 'other',
          confidence: 0.4,
          scores: {},
          modelVersion: defaultModel.version,
        },
      });

      // A third session holds the classification the correction sets: the correction has read the
      // messages and waits to commit while the author deletes one of them.
      const holder = new pg.Client({ connectionString: t.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`SELECT 1 FROM "Classification" WHERE id = $1::uuid FOR UPDATE`, [classification.id]);
        const correcting = correctLabel(t.db, thread.recordId, 'churn', ADMIN);
        await waitForLockWaiters(holder, 1);
        let settled = false;
        const deleting = deleted(regret.ts).finally(() => {
          settled = true;
        });
        // The delete either finishes (it did not wait for the correction) or waits too.
        await waitForLockWaiters(holder, 2, () => settled);
        await holder.query('COMMIT');
        expect((await correcting).changed).toBe(true);
        expect(await deleting).toMatchObject({ status: 'deleted', recordDeleted: false });
      } finally {
        await holder.end();
      }

      expect((await example(thread.recordId)).map((e) => e.text)).toEqual([first]);
      expect(await everyRow(t.db)).not.toContain('zapruder');
    },
    120_000,
  );
});

/**
 * Resolves once `count` sessions other than `self` wait for a lock (polled through `self`), or as soon
 * as `done()` says what it waits for happened anyway.
 */
async function waitForLockWaiters(self: pg.Client, count: number, done = () => false): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (done()) return;
    // pg_stat_activity is read once per transaction (and `self` holds one open): read it afresh, or a
    // session connected since stays unseen.
    await self.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await self.query<{ n: number }>(
      `SELECT count(DISTINCT l.pid)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND l.pid <> pg_backend_pid() AND a.datname = current_database()`,
    );
    if (rows[0].n >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${count} sessions wait for a lock`);
}
