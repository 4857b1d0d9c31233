import { describe, expect, it } from 'vitest';
import { trainingMark } from '../../../src/db/insights.repository.ts';
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
 * A chat message its author edits on Slack or Teams after a rep corrected its conversation: when the
 * edit takes words out, the correction's training text is taken again with the words the message has
 * now, and the learned models that may have read the old ones are withdrawn, as a delete takes a
 * message back (delete-message-learned-model.test.ts; README, "Erase means erase"). An edit that only
 * adds words, one that takes out only words added after the text was taken, or one of a message the
 * text never held, changes nothing. Through editChatMessage, the
 * function the Slack and Teams auto-loggers call for `message_changed` and a Teams message update.
 */
describe.each(TEST_DATABASE_KINDS)('an edited chat message takes its words out of the training text (%s)', (kind) => {
  // A database per test (learningDatabaseEachTest says why).
  let learning: LearningDatabase;
  learningDatabaseEachTest(kind, (opened) => {
    learning = opened;
  });

  it('takes the training text again with the words an edit after the correction left, and withdraws the models that learned the ones it took out', async () => {
    const { chat, edited } = await learning.slackCustomer('Vandelay Imports');
    const first = 'Could you send the updated price list for the latex range?';
    const thread = await chat(first);
    const regret = await chat(
      'Honestly the blorptastic wimbleshank from your rival is cheaper, we may walk away',
      thread.ts,
    );
    await learning.correctNewest(thread.recordId, 'churn');
    const [before] = await learning.examples(thread.recordId);
    expect(before.text).toContain('wimbleshank');
    await learning.learn('crm-learned-regret');
    expect(await learning.modelRow('crm-learned-regret')).toContain('wimbleshank');
    await tick();
    const training = await trainingMark(learning.t.db.sql);

    // The author edits the product's name out on Slack.
    const now = 'Honestly the offer from your rival is cheaper, we may walk away';
    expect(await edited(regret.ts, now)).toMatchObject({ status: 'updated' });

    // The correction stays (label, times); its text is the conversation's words as they are now.
    expect(await learning.examples(thread.recordId)).toEqual([
      { text: `${first}\n\n${now}`, label: 'churn', createdAt: before.createdAt, updatedAt: before.updatedAt },
    ]);
    // The model that learned the old words went; the built-in one classifies until the nightly retrain.
    expect(await learning.versions()).not.toContain('crm-learned-regret');
    expect(await learning.store.activeVersion()).toBe(defaultModel.version);
    // A retrain that read the old words while the edit ran stores nothing (the training mark it holds).
    expect(await trainingMark(learning.t.db.sql)).not.toBe(training);
    const withdrawal = await learning.t.db.prisma.auditLog.findFirstOrThrow({
      where: { action: 'model.withdraw', subject: thread.recordId },
    });
    expect(withdrawal.details).toMatchObject({ reason: 'message.edit', versions: ['crm-learned-regret'] });
    expect(await learning.trainingChanges('message.edit', thread.recordId)).toEqual([
      { trainingText: 'rebuilt', withdrawnModels: 1 },
    ]);
    const rows = await everyRow(learning.t.db);
    for (const trace of ['wimbleshank', 'blorptastic']) expect(rows, trace).not.toContain(trace);

    // The nightly run learns the correction again, from the edited words.
    const nightly = await retrainClassifier(learning.t.db, learning.store, {
      requestedBy: 'schedule',
      version: 'crm-learned-edited',
    });
    expect(nightly.status).toMatch(/activated|kept-current/);
    const relearned = await learning.modelRow('crm-learned-edited');
    expect(relearned).toContain('latex');
    for (const trace of ['wimbleshank', 'blorptastic']) expect(relearned).not.toContain(trace);
  }, 300_000);

  /** A customer's conversation of one message, `first`, corrected to purchase and learned as `version`, active. */
  const learnedPurchase = (name: string, first: string, version: string) =>
    learning.learnedConversation(name, first, 'purchase', version);
  /**
   * The correction kept its text, `first`, the model `version` stays active and the training mark
   * `training`; each of the record's `edits` says so in its audit entry.
   */
  async function expectNothingForgotten(recordId: string, first: string, version: string, training: string, edits = 1) {
    expect((await learning.examples(recordId)).map((e) => e.text)).toEqual([first]);
    expect(await learning.versions()).toContain(version);
    expect(await learning.store.activeVersion()).toBe(version);
    expect(await trainingMark(learning.t.db.sql)).toBe(training);
    expect(await learning.trainingChanges('message.edit', recordId)).toEqual(
      Array(edits).fill({ trainingText: 'kept', withdrawnModels: 0 }),
    );
  }

  it('keeps the text and the models when an edit only adds words or changes their case', async () => {
    const first = 'We need two more seats on the analytics plan';
    const { edited, thread, training } = await learnedPurchase('Dream Cafe Holdings', first, 'crm-learned-seats');

    // The rep labeled these words; the ones added were never part of the correction.
    const now = 'Hi! We NEED two more seats on the Analytics plan, by Friday please';
    expect(await edited(thread.ts, now)).toMatchObject({ status: 'updated' });

    await expectNothingForgotten(thread.recordId, first, 'crm-learned-seats', training);
  }, 300_000);

  it('keeps the text and the models when an edit takes out only words an earlier edit added after the correction', async () => {
    const first = 'We need two more seats on the analytics plan';
    const { edited, thread, training } = await learnedPurchase('Kramerica Industries', first, 'crm-learned-added');

    // Edit 1 adds a word (and punctuation) the correction never held; edit 2 takes that word out again.
    expect(await edited(thread.ts, 'We need two more seats on the analytics plan, urgently!')).toMatchObject({
      status: 'updated',
    });
    expect(await edited(thread.ts, 'We need two more seats on the analytics plan!')).toMatchObject({
      status: 'updated',
    });

    // No word the model learned left: it keeps classifying, on the words the rep labeled.
    await expectNothingForgotten(thread.recordId, first, 'crm-learned-added', training, 2);
    expect(await learning.t.db.prisma.auditLog.count({ where: { action: 'model.withdraw' } })).toBe(0);
  }, 300_000);

  it('withdraws the models when an edit takes out a word an earlier edit added before the correction took the text', async () => {
    const { chat, edited } = await learning.slackCustomer('Peterman Catalog');
    const thread = await chat('Please renew our plan for next year');
    // The word reaches the correction's text: the edit came before the rep corrected the conversation.
    expect(await edited(thread.ts, 'Please renew our plan for next year with the zorblax add-on')).toMatchObject({
      status: 'updated',
    });
    await learning.correctNewest(thread.recordId, 'purchase');
    await learning.learn('crm-learned-addon');
    expect(await learning.modelRow('crm-learned-addon')).toContain('zorblax');
    await tick();

    expect(await edited(thread.ts, 'Please renew our plan for next year')).toMatchObject({ status: 'updated' });

    expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([
      'Please renew our plan for next year',
    ]);
    expect(await learning.versions()).not.toContain('crm-learned-addon');
    expect(await learning.store.activeVersion()).toBe(defaultModel.version);
    expect(await everyRow(learning.t.db)).not.toContain('zorblax');
  }, 300_000);

  it('changes nothing when an edit takes words out of a message stored after the correction took its text', async () => {
    const first = 'Please renew our subscription for the coming year';
    const { chat, edited, thread, training } = await learnedPurchase(
      'Pendant Publishing',
      first,
      'crm-learned-renewal',
    );
    // A later message, never part of the correction's text, edited: nothing learned held its words.
    const later = await chat('Our kazoodle budget may change, renew anyway', thread.ts);

    expect(await edited(later.ts, 'Renew anyway')).toMatchObject({ status: 'updated' });

    await expectNothingForgotten(thread.recordId, first, 'crm-learned-renewal', training);
  }, 300_000);

  it.runIf(kind === 'postgres')(
    "keeps out the words an edit takes out while a rep's correction takes the text",
    async () => {
      const { chat, edited } = await learning.slackCustomer('Mendy Cab Company');
      const first = 'Is the fleet plan still on track for March?';
      const thread = await chat(first);
      const regret = await chat('We signed with the zapruder shuttle people instead', thread.ts);
      const now = 'We signed with the other people instead';
      // The correction has read the messages and waits to commit while the author edits one of them.
      expect(await learning.correctMeanwhile(thread.recordId, 'churn', () => edited(regret.ts, now))).toMatchObject({
        status: 'updated',
      });

      expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([`${first}\n\n${now}`]);
      expect(await everyRow(learning.t.db)).not.toContain('zapruder');
    },
    120_000,
  );

  it.runIf(kind === 'postgres')(
    'keeps out the words of a message deleted while an edit of another message of the record waits for the delete',
    async () => {
      const { chat, edited, deleted } = await learning.slackCustomer('Sack Lunch Foods');
      const first = 'Can we move the onboarding call to Thursday?';
      const thread = await chat(first);
      const one = await chat('Our frobnicator budget is gone', thread.ts);
      const two = await chat('And the gizmoflange team left', thread.ts);
      await learning.correctNewest(thread.recordId, 'churn');

      // A third session holds the example's row: the delete has taken the text again (without its
      // message, with the edited one's old words) and waits to store it while the author edits the
      // other message. An edit that took the text before the delete committed would bring the deleted
      // words back; it waits for the record instead and takes the text from what the delete left.
      const now = 'Our budget is gone';
      const holder = await holdRows(
        learning.t.url,
        `SELECT 1 FROM "LabeledExample" WHERE "recordId" = $1::uuid FOR UPDATE`,
        [thread.recordId],
      );
      try {
        const deleting = deleted(two.ts);
        await waitForLockWaiters(holder, 1);
        let settled = false;
        const editing = edited(one.ts, now).finally(() => {
          settled = true;
        });
        await waitForLockWaiters(holder, 2, () => settled);
        await holder.query('COMMIT');
        expect(await deleting).toMatchObject({ status: 'deleted', recordDeleted: false });
        expect(await editing).toMatchObject({ status: 'updated' });
      } finally {
        await holder.end();
      }

      expect((await learning.examples(thread.recordId)).map((e) => e.text)).toEqual([`${first}\n\n${now}`]);
      const rows = await everyRow(learning.t.db);
      for (const trace of ['frobnicator', 'gizmoflange']) expect(rows, trace).not.toContain(trace);
    },
    120_000,
  );
});
