import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { retrainModel } from '../../../src/classifier/retrain.ts';
import { readCorrections } from '../../../src/db/correction.repository.ts';
import { erasureMark, trainingMark } from '../../../src/db/insights.repository.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import { everyRow } from '../../helpers/every-row.ts';
import {
  DEFAULT_MODEL as defaultModel,
  type LearningDatabase,
  learningDatabaseEachTest,
  tick,
} from '../../helpers/learned-model.ts';
import { holdRows, waitForLockWaiters } from '../../helpers/lock-waiters.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

/**
 * A chat message its author deletes on Slack or Teams after a rep corrected its conversation: the
 * correction's training text is taken again without it (or deleted with the record when it was the
 * last message), and the learned models that may have read its words are withdrawn as an erasure
 * withdraws them (README, "Erase means erase"); a message without a word leaves the models alone. Through deleteChatMessage, the function the Slack and Teams
 * auto-loggers call for `message_deleted` and a Teams message delete.
 */
describe.each(TEST_DATABASE_KINDS)('a deleted chat message leaves the training text and the models (%s)', (kind) => {
  // A database per test (learningDatabaseEachTest says why).
  let learning: LearningDatabase;
  learningDatabaseEachTest(kind, (opened) => {
    learning = opened;
  });

  it('takes the training text again without a message deleted after the correction, and withdraws the models that learned it', async () => {
    const { chat, deleted } = await learning.slackCustomer('Vandelay Imports');
    const first = 'Could you send the updated price list for the latex range?';
    const thread = await chat(first);
    const regret = await chat(
      'Honestly the blorptastic wimbleshank from your rival is cheaper, we may walk away',
      thread.ts,
    );
    expect(regret.recordId).toBe(thread.recordId);
    await learning.correctNewest(thread.recordId, 'churn');
    const [before] = await learning.examples(thread.recordId);
    expect(before.text).toContain('wimbleshank');
    await learning.learn('crm-learned-regret');
    expect(await learning.modelRow('crm-learned-regret')).toContain('wimbleshank');
    await tick();

    // The author deletes the message on Slack.
    expect(await deleted(regret.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // The correction stays (label, first words, and the label's time the retrain splits by); the words go.
    const after = await learning.examples(thread.recordId);
    expect(after).toEqual([{ text: first, label: 'churn', createdAt: before.createdAt, updatedAt: before.updatedAt }]);
    const correction = (await readCorrections(learning.t.db)).find((c) => c.recordId === thread.recordId);
    expect(correction?.updatedAt).toEqual(before.updatedAt);
    // The model that learned them went; the built-in one classifies until the nightly retrain.
    expect(await learning.versions()).not.toContain('crm-learned-regret');
    expect(await learning.store.activeVersion()).toBe(defaultModel.version);
    // The withdrawal is written down: the nightly retrain runs on it even with no new correction.
    const withdrawal = await learning.t.db.prisma.auditLog.findFirstOrThrow({
      where: { action: 'model.withdraw', subject: thread.recordId },
    });
    expect(withdrawal.details).toMatchObject({ reason: 'message.delete' });
    expect((withdrawal.details as { versions: string[] }).versions).toContain('crm-learned-regret');
    const rows = await everyRow(learning.t.db);
    for (const trace of ['wimbleshank', 'blorptastic']) expect(rows, trace).not.toContain(trace);

    // The nightly run learns the correction again, without the deleted words.
    const nightly = await retrainClassifier(learning.t.db, learning.store, {
      requestedBy: 'schedule',
      version: 'crm-learned-unsaid',
    });
    expect(nightly.status).toMatch(/activated|kept-current/);
    const relearned = await learning.modelRow('crm-learned-unsaid');
    expect(relearned).toContain('latex');
    for (const trace of ['wimbleshank', 'blorptastic']) expect(relearned).not.toContain(trace);
  }, 300_000);

  it("deletes a conversation's training example with it when its last message is deleted, and withdraws the models that learned it", async () => {
    const { chat, deleted } = await learning.slackCustomer('Kramerica Industries');
    const only = await chat('The oil tanker bladder zindleworp prototype leaked again, we want a refund');
    await learning.correctNewest(only.recordId, 'issue');
    await learning.learn('crm-learned-zindleworp');
    expect(await learning.modelRow('crm-learned-zindleworp')).toContain('zindleworp');
    await tick();

    expect(await deleted(only.ts)).toMatchObject({ status: 'deleted', recordDeleted: true });

    expect(await learning.t.db.prisma.communicationRecord.count({ where: { id: only.recordId } })).toBe(0);
    expect(await learning.examples(only.recordId)).toEqual([]);
    expect(await learning.versions()).not.toContain('crm-learned-zindleworp');
    expect(await learning.store.activeVersion()).toBe(defaultModel.version);
    const rows = await everyRow(learning.t.db);
    expect(rows).not.toContain('zindleworp');
  }, 300_000);

  it('keeps the models when the deleted message came after the correction took the text', async () => {
    const first = 'Please renew our subscription for the coming year';
    const { chat, deleted, thread } = await learning.learnedConversation(
      'Pendant Publishing',
      first,
      'purchase',
      'crm-learned-renewal',
    );
    // A later message, never part of the correction's text, deleted: nothing learned held it.
    const later = await chat('Typo, ignore this', thread.ts);
    expect(await deleted(later.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await learning.versions()).toContain('crm-learned-renewal');
    expect(await learning.store.activeVersion()).toBe('crm-learned-renewal');
  }, 300_000);

  it('takes a deleted message without a word out of the text, and keeps the models that read no word of it', async () => {
    const { chat, deleted } = await learning.slackCustomer('Vandelay Industries');
    const first = 'Please add three seats to the reporting plan';
    const thread = await chat(first);
    const cheer = await chat('👍 !!', thread.ts);
    await learning.correctNewest(thread.recordId, 'purchase');
    expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([`${first}\n\n👍 !!`]);
    await learning.learn('crm-learned-cheer');
    await tick();
    const training = await trainingMark(learning.t.db.sql);

    expect(await deleted(cheer.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // The deleted message leaves the text; no word the model learned went with it, so it stays in use.
    expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await learning.versions()).toContain('crm-learned-cheer');
    expect(await learning.store.activeVersion()).toBe('crm-learned-cheer');
    expect(await trainingMark(learning.t.db.sql)).toBe(training);
    expect(await learning.trainingChanges('message.delete', thread.recordId)).toEqual([
      { trainingText: 'rebuilt', withdrawnModels: 0 },
    ]);
  }, 300_000);

  it('refuses a training example of a record that does not exist', async () => {
    await expect(
      learning.t.db.sql.query(
        `INSERT INTO "LabeledExample" (id, text, label, source, "recordId", "createdAt", "updatedAt")
         VALUES (gen_random_uuid(), 'orphan words', 'other', 'correction', $1::uuid, now(), now())`,
        [randomUUID()],
      ),
    ).rejects.toThrow(/foreign key/i);
  });

  it('changes nothing when messages stored after the correction took its text are deleted, even ones its text contains or ones edited', async () => {
    const first = 'Please renew our subscription for the coming year';
    const { chat, deleted, edited, thread, training } = await learning.learnedConversation(
      'Monk Cafe Supplies',
      first,
      'purchase',
      'crm-learned-renew',
    );
    // Later messages, never part of the correction's text: one its text happens to contain, one edited.
    const echo = await chat('renew', thread.ts);
    const fixed = await chat('Thx', thread.ts);
    expect(await edited(fixed.ts, 'Thanks a lot')).toMatchObject({ status: 'updated' });
    await chat('See you Monday', thread.ts);

    expect(await deleted(echo.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });
    expect(await deleted(fixed.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // The correction's text is as taken (the later messages never joined it), the model stays.
    expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await learning.versions()).toContain('crm-learned-renew');
    expect(await learning.store.activeVersion()).toBe('crm-learned-renew');
    expect(await trainingMark(learning.t.db.sql)).toBe(training);
    expect(await learning.trainingChanges('message.delete', thread.recordId)).toEqual([
      { trainingText: 'kept', withdrawnModels: 0 },
      { trainingText: 'kept', withdrawnModels: 0 },
    ]);
  }, 300_000);

  it('takes the text again from the messages it was taken from only, and changes the training mark, not the erasure mark', async () => {
    const { chat, deleted } = await learning.slackCustomer('Dream Cafe Holdings');
    const first = 'We need two more seats on the analytics plan';
    const thread = await chat(first);
    const regret = await chat('Our snorkelwhip budget froze, cancel that', thread.ts);
    await learning.correctNewest(thread.recordId, 'purchase');
    await learning.learn('crm-learned-seats');
    await tick();
    // Posted after the correction: not its text, and not after the rebuild either.
    await chat('By the way, the quibbleflax dashboard is slow', thread.ts);
    const erasure = await erasureMark(learning.t.db.sql);
    const training = await trainingMark(learning.t.db.sql);

    expect(await deleted(regret.ts)).toMatchObject({ status: 'deleted', recordDeleted: false });

    // A platform delete is no erasure: the insights keep their caches and refreshes (erasure mark),
    // while a retrain that read the old text does not store its model (training mark).
    expect(await erasureMark(learning.t.db.sql)).toBe(erasure);
    expect(await trainingMark(learning.t.db.sql)).not.toBe(training);
    expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([first]);
    expect(await learning.versions()).not.toContain('crm-learned-seats');
  }, 300_000);

  it('does not store a model a platform delete overtook, and says so without calling it an erasure', async () => {
    const { chat, deleted } = await learning.slackCustomer('Tyler Chicken');
    const thread = await chat('We are weighing the renewal against a cheaper offer');
    const replies: Array<{ ts: string }> = [];
    for (const text of ['plumbus one', 'plumbus two', 'plumbus three'])
      replies.push(await chat(`Our ${text} quote arrived`, thread.ts));
    await learning.correctNewest(thread.recordId, 'churn');
    // Every attempt reads the corrections, then a message of the correction's text is deleted.
    let attempt = 0;
    const outcome = await retrainClassifier(
      learning.t.db,
      learning.store,
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
    expect(await learning.versions()).not.toContain('crm-learned-overtaken');
  }, 300_000);

  it.runIf(kind === 'postgres')(
    'keeps out the words of two messages of one corrected record deleted at the same time',
    async () => {
      const { chat, deleted } = await learning.slackCustomer('Sack Lunch Foods');
      const first = 'Can we move the onboarding call to Thursday?';
      const thread = await chat(first);
      const one = await chat('Our frobnicator budget is gone', thread.ts);
      const two = await chat('And the gizmoflange team left', thread.ts);
      await learning.correctNewest(thread.recordId, 'churn');

      // A third session holds the example's row, so both deletes are under way before either commits.
      const holder = await holdRows(
        learning.t.url,
        `SELECT 1 FROM "LabeledExample" WHERE "recordId" = $1::uuid FOR UPDATE`,
        [thread.recordId],
      );
      try {
        const both = Promise.all([deleted(one.ts), deleted(two.ts)]);
        await waitForLockWaiters(holder, 2);
        await holder.query('COMMIT');
        expect((await both).map((r) => r.status)).toEqual(['deleted', 'deleted']);
      } finally {
        await holder.end();
      }

      expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([first]);
      const rows = await everyRow(learning.t.db);
      for (const trace of ['frobnicator', 'gizmoflange']) expect(rows, trace).not.toContain(trace);
    },
    120_000,
  );

  it.runIf(kind === 'postgres')(
    "keeps out the words of a message deleted while a rep's correction takes the text",
    async () => {
      const { chat, deleted } = await learning.slackCustomer('Mendy Cab Company');
      const first = 'Is the fleet plan still on track for March?';
      const thread = await chat(first);
      const regret = await chat('We signed with the zapruder shuttle people instead', thread.ts);
      // The correction has read the messages and waits to commit while the author deletes one of them.
      expect(await learning.correctMeanwhile(thread.recordId, 'churn', () => deleted(regret.ts))).toMatchObject({
        status: 'deleted',
        recordDeleted: false,
      });

      expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([first]);
      expect(await everyRow(learning.t.db)).not.toContain('zapruder');
    },
    120_000,
  );
});
