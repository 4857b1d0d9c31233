import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { retrainModel } from '../../../src/classifier/retrain.ts';
import { readCorrections } from '../../../src/db/correction.repository.ts';
import { erasureMark, trainingMark } from '../../../src/db/insights.repository.ts';
import type { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import { everyRow } from '../../helpers/every-row.ts';
import {
  DEFAULT_MODEL as defaultModel,
  type LearningDatabase,
  learningDatabaseEachTest,
} from '../../helpers/learned-model.ts';
import { holdRows, waitForLockWaiters } from '../../helpers/lock-waiters.ts';
import { TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * A chat message its author deletes on Slack or Teams after a rep corrected its conversation: the
 * correction's training text is taken again without it (or deleted with the record when it was the
 * last message), and the learned models that may have read it are withdrawn as an erasure withdraws
 * them (README, "Erase means erase"). Through deleteChatMessage, the function the Slack and Teams
 * auto-loggers call for `message_deleted` and a Teams message delete.
 */
describe.each(TEST_DATABASE_KINDS)('a deleted chat message leaves the training text and the models (%s)', (kind) => {
  let learning: LearningDatabase;
  let t: TestDatabase;
  let store: PrismaModelStore;

  // A database per test (learningDatabaseEachTest says why).
  learningDatabaseEachTest(kind, (opened) => {
    learning = opened;
    ({ t, store } = opened);
  });

  /** A customer with its own Slack channel, and a way to log, edit and delete its people's messages there. */
  const customer = (name: string) => learning.slackCustomer(name);
  /** Classifies a record's newest message as `other` and a rep corrects the record to `label` (the learning loop). */
  const corrected = (recordId: string, label: string) => learning.correctNewest(recordId, label);
  /** Retrains on every correction and makes the new model the active one, whatever the gate said. */
  const learned = (version: string) => learning.learn(version);
  const modelRow = (version: string) => learning.modelRow(version);
  const versions = () => learning.versions();
  const example = (recordId: string) => learning.examples(recordId);

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
      const holder = await holdRows(t.url, `SELECT 1 FROM "LabeledExample" WHERE "recordId" = $1::uuid FOR UPDATE`, [
        thread.recordId,
      ]);
      try {
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
      // The correction has read the messages and waits to commit while the author deletes one of them.
      expect(await learning.correctMeanwhile(thread.recordId, 'churn', () => deleted(regret.ts))).toMatchObject({
        status: 'deleted',
        recordDeleted: false,
      });

      expect((await example(thread.recordId)).map((e) => e.text)).toEqual([first]);
      expect(await everyRow(t.db)).not.toContain('zapruder');
    },
    120_000,
  );
});
