import { parseEmailSource } from '../../../connectors/imap/parse-email-source.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { logEmail } from '../../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import { everyRow } from '../../helpers/every-row.ts';
import {
  DEFAULT_MODEL as defaultModel,
  LEARNING_ADMIN as ADMIN,
  LearningDatabase,
} from '../../helpers/learned-model.ts';
import { SlackCustomerChat } from '../../helpers/slack-customer-chat.ts';
import { TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const tick = () => new Promise((r) => setTimeout(r, 20));
const day = (n: number) => new Date(Date.UTC(2026, 10, n, 10));

/**
 * What an erasure of a customer withdraws from the classifier besides the training text of its own
 * records and the text naming them (erase-learned-model.test.ts): the words its people wrote in other
 * customers' records (a correction's training text joins all of a record's messages), and the training
 * text of its records merged into one thread, whose older example the merge dropped (README, "Erase
 * means erase").
 */
describe.each(TEST_DATABASE_KINDS)('erasing a customer erases their words learned from elsewhere (%s)', (kind) => {
  let learning: LearningDatabase;
  let t: TestDatabase;
  let store: PrismaModelStore;

  beforeAll(async () => {
    learning = await LearningDatabase.open(kind);
    ({ t, store } = learning);
  });
  afterAll(async () => {
    await learning?.dispose();
  });

  const company = (name: string, domain: string) => learning.company(name, domain);

  /** Classifies a record's newest message as `other` and a rep corrects the record to `label` (the learning loop). */
  const corrected = (recordId: string, label: string) => learning.correctNewest(recordId, label);
  const modelRow = (version: string) => learning.modelRow(version);
  const versions = () => learning.versions();

  it("rebuilds another customer's training text without their replies in its channel, and withdraws the models that learned them", async () => {
    const acme = await company('Acme Rockets', 'acme.example');
    const globex = await company('Globex Corporation', 'globex.example');
    const bob = { platformUserId: 'T1/UBOB', name: 'Bob Nakamura', email: 'bob@acme.example', isBot: false };
    const gina = { platformUserId: 'T1/UGINA', name: 'Gina Gold', email: 'gina@globex.example', isBot: false };
    const acmeChannel = new SlackCustomerChat(t.db, acme, bob, 'CACME');
    const globexChannel = new SlackCustomerChat(t.db, globex, gina, 'CGLOBEX');
    await acmeChannel.chat('Is the launch window still on for Friday?');
    // Globex's channel: a conversation Bob stays out of, corrected and learned first.
    const calm = await globexChannel.chat('Our reporting dashboards look splendid this quarter');
    await corrected(calm.recordId, 'other');
    expect(
      (await retrainClassifier(t.db, store, { requestedBy: 'cli', version: 'crm-learned-before' })).status,
    ).toMatch(/activated|kept-current/);
    await tick();
    // Then Bob replies in a Globex thread (he is Cc'd on their deal), naming nobody.
    const ginaText = 'Shall we extend the hydroponic greenhouse contract for another year?';
    const thread = await globexChannel.chat(ginaText);
    // A person whose email domain names another customer is that customer's contact.
    await globexChannel.chat(
      "We'll cancel the renewal, budget is cut: the quarzelflux snorkwidget pilot is over",
      thread.ts,
      { author: bob, contactCompanyId: acme },
    );
    await corrected(thread.recordId, 'churn');
    expect(
      (await t.db.prisma.labeledExample.findFirstOrThrow({ where: { recordId: thread.recordId } })).text,
    ).toContain('quarzelflux');
    await retrainClassifier(t.db, store, { requestedBy: 'cli', version: 'crm-learned-with-bob' });
    await store.activate('crm-learned-with-bob');
    const learned = await modelRow('crm-learned-with-bob');
    for (const trace of ['quarzelflux', 'snorkwidget']) expect(learned).toContain(trace);
    for (const trace of ['quarzelflux', 'snorkwidget'])
      expect(await modelRow('crm-learned-before')).not.toContain(trace);

    const labelled = await t.db.prisma.labeledExample.findFirstOrThrow({
      where: { recordId: thread.recordId },
      select: { createdAt: true, updatedAt: true },
    });

    const erased = await eraseCustomer(t.db, acme, ADMIN);

    // Globex keeps its correction (the label, Gina's words), without Bob's; its times stay: the
    // label's (the retrain's time split) and the first storing (the withdrawal's cut-off).
    expect(
      await t.db.prisma.labeledExample.findMany({
        where: { recordId: thread.recordId },
        select: { text: true, label: true, createdAt: true, updatedAt: true },
      }),
    ).toEqual([{ text: `${ginaText}\n\n[erased]`, label: 'churn', ...labelled }]);
    const rows = await everyRow(t.db);
    for (const trace of ['quarzelflux', 'snorkwidget', 'budget is cut', 'nakamura', 'bob@acme.example'])
      expect(rows, trace).not.toContain(trace);
    // Only the model that learned his words went; the built-in one took over.
    expect(erased.counts.withdrawnModels).toBe(1);
    expect(await versions()).not.toContain('crm-learned-with-bob');
    expect(await versions()).toContain('crm-learned-before');
    expect(await store.activeVersion()).toBe(defaultModel.version);

    // The nightly retrain learns Globex's correction again, without his words.
    const nightly = await retrainClassifier(t.db, store, { requestedBy: 'schedule', version: 'crm-learned-after' });
    expect(nightly.status).toMatch(/activated|kept-current/);
    const after = await modelRow('crm-learned-after');
    expect(after).toContain('hydropon');
    for (const trace of ['quarzelflux', 'snorkwidget']) expect(after).not.toContain(trace);
  }, 300_000);

  it('withdraws the model that learned an example a thread merge dropped', async () => {
    const opts = { internalDomains: ['support.example'], hooks: noopPipelineHooks, createCompanies: 'all' as const };
    const log = async (raw: string) => {
      const o = await logEmail(
        t.db,
        await parseEmailSource(Buffer.from(raw), { mailbox: 'support@support.example' }),
        opts,
      );
      if (o.status !== 'logged') throw new Error(o.status);
      return o.recordId;
    };
    const root = await log(
      buildEmail({
        from: 'Dana Dorsey <dana@initrode.example>',
        messageId: 'g1@initrode.example',
        subject: 'Seats',
        body: 'We would like to order forty more seats for the warehouse team',
        date: day(1),
      }),
    );
    // Her reply to our answer, logged before the answer (a client sending In-Reply-To only): a record of its own.
    const reply = await log(
      buildEmail({
        from: 'Dana Dorsey <dana@initrode.example>',
        messageId: 'r1@initrode.example',
        inReplyTo: 'p1@support.example',
        subject: 'Re: Seats',
        body: 'Also the flumberjack zorbulator keeps jamming on every startup',
        date: day(3),
      }),
    );
    expect(reply).not.toBe(root);
    // The reply is corrected and learned first; the thread's root is corrected after that model was trained.
    await corrected(reply, 'issue');
    await retrainClassifier(t.db, store, { requestedBy: 'cli', version: 'crm-learned-merged-away' });
    expect(await modelRow('crm-learned-merged-away')).toContain('flumberjack');
    await tick();
    await corrected(root, 'purchase');
    // Our answer arrives and joins the two: the reply's record is merged into the root's, its example dropped.
    expect(
      await log(
        buildEmail({
          from: 'Support <help@support.example>',
          to: 'dana@initrode.example',
          messageId: 'p1@support.example',
          inReplyTo: 'g1@initrode.example',
          references: ['g1@initrode.example'],
          subject: 'Re: Seats',
          body: 'Sure, we can add them next week',
          date: day(2),
        }),
      ),
    ).toBe(root);
    expect(await t.db.prisma.communicationRecord.count({ where: { id: reply } })).toBe(0);
    expect(
      await t.db.prisma.labeledExample.findMany({
        where: { recordId: { in: [root, reply] } },
        select: { label: true },
      }),
    ).toEqual([{ label: 'purchase' }]);

    const initrode = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'initrode.example' } } });
    const erased = await eraseCustomer(t.db, initrode.id, ADMIN);

    expect(erased.counts.withdrawnModels).toBe(1);
    expect(await versions()).not.toContain('crm-learned-merged-away');
    const rows = await everyRow(t.db);
    for (const trace of ['flumberjack', 'zorbulat', 'dorsey', 'initrode']) expect(rows, trace).not.toContain(trace);
  }, 300_000);
});
