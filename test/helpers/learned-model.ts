import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { buildDefaultModel } from '../../src/classifier/default-model.ts';
import { trainingMark } from '../../src/db/insights.repository.ts';
import { PrismaModelStore } from '../../src/db/prisma-model-store.ts';
import { normalizeCompanyName } from '../../src/domain/normalize-company-name.ts';
import { correctLabel } from '../../src/services/correct-label.service.ts';
import { retrainClassifier } from '../../src/services/retrain-classifier.service.ts';
import { holdRows, waitForLockWaiters } from './lock-waiters.ts';
import { type SlackChatMessage, SlackCustomerChat } from './slack-customer-chat.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/** The admin who corrects labels and erases customers in the learned-model tests. */
export const LEARNING_ADMIN = { repId: 'admin', platform: 'console' };

/** The built-in model, built once (it is the same for every database). */
export const DEFAULT_MODEL = buildDefaultModel();

/**
 * Lets the clock move on (20 ms) after a model was learned: a withdrawal written next is later than the
 * model's `createdAt`, as the nightly retrain's "withdrawn since the last retrain?" compares them.
 */
export const tick = () => new Promise((r) => setTimeout(r, 20));

/** What a chat edit or delete did to a record's training data, as its audit entry says. */
export interface TrainingChange {
  trainingText?: string;
  withdrawnModels?: number;
}

/**
 * A database for tests of what the classifier learns (erasures, chat deletes and edits withdrawing
 * learned models): its model store holds the built-in model, active, as after `rapport start`.
 */
export class LearningDatabase {
  private constructor(
    readonly t: TestDatabase,
    readonly store: PrismaModelStore,
  ) {}

  static async open(kind: 'pglite' | 'postgres'): Promise<LearningDatabase> {
    const t = await createTestDatabase(kind);
    const store = new PrismaModelStore(t.db);
    await store.save(DEFAULT_MODEL, { activate: true });
    return new LearningDatabase(t, store);
  }

  dispose(): Promise<void> {
    return this.t.dispose();
  }

  /** A new customer with this name and domain (or none); its id. */
  async company(name: string, domain?: string): Promise<string> {
    return (
      await this.t.db.prisma.company.create({
        data: { name, normalizedName: normalizeCompanyName(name), domains: domain ? [domain] : [] },
      })
    ).id;
  }

  /**
   * The learning loop: message `messageId` of record `recordId` is classified `other` by the built-in
   * model, and a rep corrects the record to `label`. Throws when the correction changes nothing.
   */
  async correct(recordId: string, messageId: string, label: string): Promise<void> {
    await this.classifiedOther(recordId, messageId);
    if (!(await correctLabel(this.t.db, recordId, label, LEARNING_ADMIN)).changed)
      throw new Error(`correcting record ${recordId} to ${label} changed nothing`);
  }

  /** Message `messageId` of record `recordId` classified `other` by the built-in model; the classification's id. */
  private async classifiedOther(recordId: string, messageId: string): Promise<string> {
    return (
      await this.t.db.prisma.classification.create({
        data: {
          recordId,
          messageId,
          label: 'other',
          confidence: 0.4,
          scores: {},
          modelVersion: DEFAULT_MODEL.version,
        },
      })
    ).id;
  }

  /**
   * PostgreSQL only: a rep corrects record `recordId` (its first message classified `other`) to
   * `label` while `meanwhile` runs. A third session holds the classification the correction sets, so
   * the correction has read the messages and waits to commit when `meanwhile` starts; that either
   * finishes without waiting for the correction or waits too, then both go on.
   * @returns what `meanwhile` returned; throws when the correction changed nothing
   */
  async correctMeanwhile<T>(recordId: string, label: string, meanwhile: () => Promise<T>): Promise<T> {
    const first = await this.t.db.prisma.message.findFirstOrThrow({
      where: { recordId },
      orderBy: { sentAt: 'asc' },
      select: { id: true },
    });
    const classificationId = await this.classifiedOther(recordId, first.id);
    const holder = await holdRows(this.t.url, `SELECT 1 FROM "Classification" WHERE id = $1::uuid FOR UPDATE`, [
      classificationId,
    ]);
    try {
      const correcting = correctLabel(this.t.db, recordId, label, LEARNING_ADMIN);
      await waitForLockWaiters(holder, 1);
      let settled = false;
      const other = meanwhile().finally(() => {
        settled = true;
      });
      await waitForLockWaiters(holder, 2, () => settled);
      await holder.query('COMMIT');
      if (!(await correcting).changed) throw new Error(`correcting record ${recordId} to ${label} changed nothing`);
      return await other;
    } finally {
      await holder.end();
    }
  }

  /** A new customer (no domain) with its own Slack channel, where "<name> Buyer" writes. */
  async slackCustomer(name: string): Promise<SlackCustomerChat> {
    const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
    const author = { platformUserId: `T1/U${channel}`, name: `${name} Buyer`, isBot: false };
    return new SlackCustomerChat(this.t.db, await this.company(name), author, channel);
  }

  /**
   * A new customer's Slack conversation of one message, `first`, corrected to `label` and learned as
   * `version`, active; with the training mark as it is then (`training`).
   */
  async learnedConversation(
    name: string,
    first: string,
    label: string,
    version: string,
  ): Promise<SlackCustomerChat & { thread: SlackChatMessage; training: string }> {
    const customer = await this.slackCustomer(name);
    const thread = await customer.chat(first);
    await this.correctNewest(thread.recordId, label);
    await this.learn(version);
    await tick();
    return Object.assign(customer, { thread, training: await trainingMark(this.t.db.sql) });
  }

  /** What the `message.edit` or `message.delete` audit entries of record `recordId` did to the training data, oldest first. */
  async trainingChanges(action: 'message.edit' | 'message.delete', recordId: string): Promise<TrainingChange[]> {
    const entries = await this.t.db.prisma.auditLog.findMany({
      where: { action, subject: recordId },
      orderBy: { createdAt: 'asc' },
    });
    return entries.map((a) => {
      const { trainingText, withdrawnModels } = a.details as TrainingChange;
      return { trainingText, withdrawnModels };
    });
  }

  /** The learning loop on a record's newest message (by `sentAt`): see correct. */
  async correctNewest(recordId: string, label: string): Promise<void> {
    const message = await this.t.db.prisma.message.findFirstOrThrow({
      where: { recordId },
      orderBy: { sentAt: 'desc' },
      select: { id: true },
    });
    await this.correct(recordId, message.id, label);
  }

  /**
   * Retrains on every correction as `version` and makes that model the active one, whatever the
   * gate said. Throws when no model was stored.
   */
  async learn(version: string): Promise<void> {
    const outcome = await retrainClassifier(this.t.db, this.store, { requestedBy: 'cli', version });
    if (!/activated|kept-current/.test(outcome.status)) throw new Error(`retrain ${version}: ${outcome.status}`);
    await this.store.activate(version);
  }

  /** The versions of the stored models. */
  async versions(): Promise<string[]> {
    return (await this.store.list()).map((m) => m.version);
  }

  /** The training examples of record `recordId`: text, label and their two times. */
  examples(recordId: string) {
    return this.t.db.prisma.labeledExample.findMany({
      where: { recordId },
      select: { text: true, label: true, createdAt: true, updatedAt: true },
    });
  }

  /** The stored `Model` row of `version` as lower-case JSON (what a model keeps), or undefined. */
  async modelRow(version: string): Promise<string | undefined> {
    return (
      await this.t.db.sql.query<{ j: string }>(`SELECT row_to_json(m)::text AS j FROM "Model" m WHERE version = $1`, [
        version,
      ])
    )[0]?.j.toLowerCase();
  }
}

/**
 * A LearningDatabase of its own for each test of the calling `describe` block, opened before it (and
 * handed to `use`) and disposed of after it: a retrain holds out the newest quarter of the corrections
 * once there are 4, so another test's corrections stored before this one's would keep this one's words
 * out of the model (seed 268356 ran delete-message-learned-model.test.ts in that order).
 */
export function learningDatabaseEachTest(kind: 'pglite' | 'postgres', use: (learning: LearningDatabase) => void): void {
  let learning: LearningDatabase | undefined;
  beforeEach(async () => {
    learning = await LearningDatabase.open(kind);
    use(learning);
  });
  afterEach(async () => {
    await learning?.dispose();
    learning = undefined;
  });
}
