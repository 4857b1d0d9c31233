import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveClassifier } from '../../../jobs/active-classifier.ts';
import { retrainModel } from '../../../src/classifier/retrain.ts';
import { modelsWithdrawnSinceLastRetrain } from '../../../src/db/model-withdrawal.repository.ts';
import type { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { createLogger } from '../../../src/logger.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { logChatMessage } from '../../../src/services/log-chat-message.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import { everyRow } from '../../helpers/every-row.ts';
import {
  DEFAULT_MODEL as defaultModel,
  LEARNING_ADMIN as ADMIN,
  LearningDatabase,
} from '../../helpers/learned-model.ts';
import { TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const NOW = new Date('2026-12-01T15:00:00Z');
/**
 * What a learned model must not keep once they are erased: the company's and the person's names (as the
 * featurizer stems them: frobisher → frobish) and words only their messages hold.
 */
const TRACES = ['zanzibar', 'frobish', 'wilma', 'gizmotron', 'frobnic', 'quisling', 'yoyodyn'];
const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * A learned classifier model (the `Model` row a retrain stores) holds in `featurizer.state.vocabulary`
 * every stemmed word and word pair of the corrections it trained on, and in `metrics.gate` their record
 * ids: erasing a customer deletes the models that may have learned from their records or from training
 * text naming them, falls back to the built-in model when the active one goes, and makes the next
 * nightly retrain run without them (README, "Erase means erase").
 */
describe.each(TEST_DATABASE_KINDS)('erasing a customer erases what the classifier learned from them (%s)', (kind) => {
  let learning: LearningDatabase;
  let t: TestDatabase;
  let store: PrismaModelStore;
  let channel = 0;

  beforeAll(async () => {
    learning = await LearningDatabase.open(kind);
    ({ t, store } = learning);
  });
  afterAll(async () => {
    await learning?.dispose();
  });

  const company = (name: string, domain: string) => learning.company(name, domain);

  /** Logs a chat message of `person` for `companyId`, classifies it as `other` and corrects it to `label` (the learning loop). */
  async function corrected(companyId: string, person: { name: string; email: string }, text: string, label: string) {
    const ts = `${1764000000 + channel++}.000100`;
    const o = await logChatMessage(
      t.db,
      {
        platform: 'slack',
        channelRef: `T1/C${channel}`,
        threadKey: ts,
        messageKey: ts,
        author: { platformUserId: `T1/U${person.email}`, name: person.name, email: person.email, isBot: false },
        direction: 'inbound',
        text,
        sentAt: new Date(NOW.getTime() - channel * 3_600_000),
        companyId,
      },
      noopPipelineHooks,
    );
    expect(o.status).toBe('logged');
    const message = await t.db.prisma.message.findFirstOrThrow({
      where: { text },
      select: { id: true, recordId: true },
    });
    await learning.correct(message.recordId, message.id, label);
  }
  const modelRow = (version: string) => learning.modelRow(version);

  it('deletes the models trained on their words, classifies with the built-in model, and retrains without them', async () => {
    const kim = { name: 'Kim Keeper', email: 'kim@keeper.example' };
    const wilma = { name: 'Wilma Frobisher', email: 'wilma@zanzibar.example' };
    const keeper = await company('Keeper Mills', 'keeper.example');
    const zanzibar = await company('Zanzibar Trading', 'zanzibar.example');
    await corrected(keeper, kim, 'Please renew our subscription licence for next year', 'purchase');
    await corrected(keeper, kim, 'The export crashes whenever we open the monthly report', 'issue');
    await corrected(keeper, kim, 'Can we meet on Tuesday to plan the rollout', 'scheduling');
    const before = await retrainClassifier(t.db, store, { requestedBy: 'cli', version: 'crm-learned-before' });
    expect(before.status).toMatch(/activated|kept-current/);
    await tick();

    // Their own corrections, and another customer's naming them.
    await corrected(
      zanzibar,
      wilma,
      'Hi, Wilma Frobisher here from Zanzibar Trading: the gizmotron frobnicator crashes every morning',
      'issue',
    );
    await corrected(zanzibar, wilma, 'Wilma again: we want to buy ten more gizmotron frobnicator seats', 'purchase');
    await corrected(zanzibar, wilma, 'Zanzibar Trading will cancel the gizmotron contract next month', 'churn');
    await corrected(
      keeper,
      kim,
      'Wilma Frobisher from Zanzibar Trading recommended you, we want to buy the premium plan',
      'purchase',
    );
    await retrainClassifier(t.db, store, { requestedBy: 'cli', version: 'crm-learned-with-them' });
    await store.activate('crm-learned-with-them'); // as the gate or `rapport model activate` would
    // What a stored model holds: their names and words in its vocabulary (the evidence of the finding).
    const learned = await modelRow('crm-learned-with-them');
    for (const trace of ['zanzibar', 'frobish', 'wilma', 'gizmotron', 'frobnic']) expect(learned).toContain(trace);
    for (const trace of TRACES) expect(await modelRow('crm-learned-before'), trace).not.toContain(trace);
    for (const trace of TRACES) expect(await modelRow(defaultModel.version), trace).not.toContain(trace);
    // A worker that has the learned model loaded (rechecking at every call).
    const worker = new ActiveClassifier(t.db, createLogger('silent'), 0);
    expect((await worker.get()).version).toBe('crm-learned-with-them');

    const erased = await eraseCustomer(t.db, zanzibar, ADMIN);

    const rows = await everyRow(t.db);
    for (const trace of [...TRACES, 'wilma@zanzibar.example']) expect(rows, trace).not.toContain(trace);
    expect(erased.counts.withdrawnModels).toBe(1);
    // Only the model that could have learned from them went; the built-in one took over and classifies.
    // (The other test of this file shares the database and, in a shuffled order, stores models before.)
    const ours = [defaultModel.version, 'crm-learned-before', 'crm-learned-with-them'];
    expect((await store.list()).filter((m) => ours.includes(m.version)).map((m) => [m.version, m.active])).toEqual([
      [defaultModel.version, true],
      ['crm-learned-before', false],
    ]);
    expect((await store.list()).filter((m) => m.active).map((m) => m.version)).toEqual([defaultModel.version]);
    const classifier = await worker.get();
    expect(classifier.version).toBe(defaultModel.version);
    expect(defaultModel.labels).toContain(
      classifier.classify('We will cancel our contract at the end of the month').topLabel,
    );
    expect(
      await t.db.prisma.auditLog.findMany({ where: { action: 'model.withdraw' }, select: { details: true } }),
    ).toEqual([
      { details: { versions: ['crm-learned-with-them'], activated: defaultModel.version, reason: 'customer.erase' } },
    ]);

    // The withdrawal is kept in the database: the nightly run retrains on what is left, once.
    expect(await modelsWithdrawnSinceLastRetrain(t.db)).toBe(true);
    const nightly = await retrainClassifier(t.db, store, { requestedBy: 'schedule', version: 'crm-learned-after' });
    expect(nightly.status).toMatch(/activated|kept-current/);
    expect(await modelsWithdrawnSinceLastRetrain(t.db)).toBe(false);
    const after = await modelRow('crm-learned-after');
    expect(after).toContain('premium'); // the other customer's (redacted) correction is learned again
    for (const trace of TRACES) expect(after, trace).not.toContain(trace);
    expect((await retrainClassifier(t.db, store, { requestedBy: 'schedule', version: 'crm-again' })).status).toBe(
      'no-new-corrections',
    );
  }, 300_000);

  it('does not store a model whose training an erasure overtook, and trains again without them', async () => {
    const bertram = { name: 'Bertram Quisling', email: 'bertram@yoyodyne.example' };
    const yoyodyne = await company('Yoyodyne Systems', 'yoyodyne.example');
    await corrected(yoyodyne, bertram, 'Bertram Quisling of Yoyodyne: the dashboard is broken again', 'issue');
    await corrected(yoyodyne, bertram, 'Yoyodyne wants to order twenty more licences', 'purchase');
    let trainings = 0;
    const outcome = await retrainClassifier(
      t.db,
      store,
      { requestedBy: 'cli', version: 'crm-learned-overtaken' },
      async (input) => {
        // The first training read their corrections; the erasure commits before its model is stored.
        if (trainings++ === 0) {
          expect(input.corrections.some((c) => /quisling/i.test(c.text))).toBe(true);
          await eraseCustomer(t.db, yoyodyne, ADMIN);
        } else expect(input.corrections.some((c) => /quisling|yoyodyne/i.test(c.text))).toBe(false);
        return retrainModel(input);
      },
    );
    expect(trainings).toBe(2);
    expect(outcome.status).toMatch(/activated|kept-current/);
    const rows = await everyRow(t.db);
    for (const trace of TRACES) expect(rows, trace).not.toContain(trace);
  }, 300_000);
});
