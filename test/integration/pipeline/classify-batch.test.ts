import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Job } from 'bullmq';
import type { QueryOptions, SqlRunner } from '../../../src/db/database.ts';
import { insertClassifications } from '../../../src/db/classification.repository.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { ClassifyBatcher } from '../../../jobs/classify-batcher.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { jobId } from '../../../jobs/job-ids.ts';
import type { ClassifyCommunicationData, ClassifyJobData } from '../../../jobs/job-data.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { CONSOLE_JO, logConsoleNote } from '../../helpers/console-note.ts';
import { startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

// The batcher is driven directly with real BullMQ Job objects (workers off), so each test decides
// exactly which jobs share a batch.
const NO_HOOKS: PipelineHooks = { recordLogged: async () => {}, followUpChanged: async () => {} };

/** Four notes of different kinds, logged by the tests whose batch write refuses one of them. */
const FOUR_NOTES = [
  'Please call me back about the invoice',
  'Our team loves the new reports',
  'We need two more licences',
  'The export is broken again',
];

describe.each(TEST_DATABASE_KINDS)('classify in batches on %s', (kind) => {
  let h: PipelineHarness;
  let statements: string[];
  beforeEach(async () => {
    h = await startPipelineHarness(kind, { workers: false });
    // Count the statements the batch sends (the real database still runs them).
    statements = [];
    const sql = h.deps.db.sql;
    const counting: SqlRunner = {
      exec: (text) => sql.exec(text),
      query: <T>(text: string, params?: unknown[], opts?: QueryOptions) => {
        statements.push(text);
        return sql.query<T>(text, params, opts);
      },
    };
    h.deps = { ...h.deps, db: { ...h.deps.db, sql: counting } };
  });
  afterEach(async () => {
    await h.dispose();
  });

  async function logged(texts: string[]) {
    const rep = await findOrCreateRep(h.test.db.prisma, CONSOLE_JO);
    const company = await createCustomer(h.test.db.prisma, `Initech ${randomUUID().slice(0, 6)}`, {
      repId: rep.id,
      platform: 'console',
    });
    const out = [];
    for (const text of texts) {
      const r = await logConsoleNote(h.test.db, NO_HOOKS, { companyId: company.id, rep, text });
      out.push({ recordId: r.record.id, messageId: r.message.id });
    }
    return out;
  }

  const jobFor = (data: ClassifyCommunicationData) =>
    new Job<ClassifyCommunicationData>(h.queues[QueueName.ClassifyCommunication], 'classify', data, {
      jobId: jobId('classify', data.messageId),
    });
  const classificationStatements = () => statements.filter((s) => /"Classification"/.test(s));

  it('classifies a burst in one read and one write, and answers each job with its own outcome', async () => {
    const [complaint, quote, thanks] = await logged([
      'The dashboard keeps crashing, we are really unhappy',
      'Can you send us a quote for 50 more seats?',
      'Thanks, the onboarding session was great',
    ]);
    // A second message in the complaint's conversation, and one our rep sent (outbound: not labelled).
    const followUpMessage = await h.test.db.prisma.message.create({
      data: {
        recordId: complaint.recordId,
        externalId: `x-${randomUUID()}`,
        direction: 'inbound',
        text: 'Still crashing today!',
        cleanText: 'Still crashing today!',
        sentAt: new Date(),
      },
    });
    const outbound = await h.test.db.prisma.message.create({
      data: {
        recordId: quote.recordId,
        externalId: `x-${randomUUID()}`,
        direction: 'outbound',
        text: 'Quote attached',
        cleanText: 'Quote attached',
        sentAt: new Date(),
      },
    });
    const erased = { recordId: randomUUID(), messageId: randomUUID() };
    const batcher = new ClassifyBatcher(h.deps, { maxBatch: 32, maxInFlight: 1 });
    const jobs = [
      complaint,
      quote,
      thanks,
      { recordId: complaint.recordId, messageId: followUpMessage.id },
      { recordId: quote.recordId, messageId: outbound.id },
      erased,
    ];

    const outcomes = await Promise.all(jobs.map((data) => batcher.classify(jobFor(data))));

    expect(outcomes.map((o) => o.status)).toEqual([
      'classified',
      'classified',
      'classified',
      'classified',
      'outbound',
      'gone',
    ]);
    expect(outcomes[0].label).toBe('issue');
    expect(outcomes[1].label).toBe('purchase');
    // One statement read all six messages and one wrote all four classifications.
    expect(classificationStatements()).toHaveLength(2);
    expect(await h.test.db.prisma.classification.count()).toBe(4);
    // One suggestion per conversation: the complaint's two messages share the one that was written.
    const suggestions = await h.test.db.prisma.followUp.findMany({ where: { source: 'suggested' } });
    expect(suggestions.filter((f) => f.recordId === complaint.recordId)).toHaveLength(1);
    expect(
      outcomes
        .filter((o) => o.suggestedFollowUpId)
        .map((o) => o.suggestedFollowUpId)
        .sort(),
    ).toEqual(suggestions.map((f) => f.id).sort());
    // And each new suggestion's post is queued once, under its deterministic job id.
    for (const f of suggestions)
      expect(await h.queues[QueueName.DeliverMessage].getJob(jobId('suggestion', f.id))).toBeTruthy();
    expect(await h.queues[QueueName.DeliverMessage].count()).toBe(suggestions.length);
  });

  /** A database that refuses one message's classification (a constraint it breaks), and so any multi-row insert holding it. */
  async function refuseClassificationOf(trigger: string, messageId: string): Promise<void> {
    await h.test.db.sql.exec(`
      CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW."messageId" = '${messageId}' THEN RAISE EXCEPTION 'this message cannot be stored'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER ${trigger} BEFORE INSERT ON "Classification" FOR EACH ROW EXECUTE FUNCTION ${trigger}();`);
  }

  /** The message ids of `messages` but `left`, sorted (what a batch that refused `left` classified). */
  const idsBut = (messages: Array<{ messageId: string }>, left: string) =>
    messages
      .filter((m) => m.messageId !== left)
      .map((m) => m.messageId)
      .sort();

  /** The messages with a stored classification, sorted. */
  async function classifiedMessageIds(): Promise<Array<string | null>> {
    const stored = await h.test.db.prisma.classification.findMany({ select: { messageId: true } });
    return stored.map((c) => c.messageId).sort();
  }

  it('redoes a batch whose write fails one job at a time: only the bad message fails', async () => {
    const messages = await logged(FOUR_NOTES);
    const poisoned = messages[2].messageId;
    await refuseClassificationOf('test_refuse_message', poisoned);
    const batcher = new ClassifyBatcher(h.deps, { maxBatch: 32, maxInFlight: 1 });

    const results = await Promise.allSettled(messages.map((data) => batcher.classify(jobFor(data))));

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toContain('this message cannot be stored');
    expect(await classifiedMessageIds()).toEqual(idsBut(messages, poisoned));
  });

  it("runs a commit's batch job with single jobs' messages, and hands a message that fails on as its own single job", async () => {
    const messages = await logged(FOUR_NOTES);
    const [alone, ...inBatch] = messages;
    const poisoned = inBatch[1].messageId;
    await refuseClassificationOf('test_refuse_batch_message', poisoned);
    const batcher = new ClassifyBatcher(h.deps, { maxBatch: 32, maxInFlight: 1 });
    const batchJob = new Job<ClassifyJobData>(
      h.queues[QueueName.ClassifyCommunication],
      'classify-batch',
      { messages: inBatch },
      { jobId: jobId('classify-batch', inBatch[0].messageId, inBatch[2].messageId) },
    );

    const [single, batch] = await Promise.all([batcher.classify(jobFor(alone)), batcher.classify(batchJob)]);

    expect(single.status).toBe('classified');
    // The batch job succeeds: two messages classified, the third handed on.
    expect(batch).toEqual({ outcomes: { classified: 2 }, requeued: 1 });
    // The single job and the batch job's messages shared the statements: one read and one write,
    // then the failed write redone one message at a time.
    expect(classificationStatements().length).toBeLessThanOrEqual(2 + 2 * 4);
    expect(await classifiedMessageIds()).toEqual(idsBut(messages, poisoned));
    // The bad message is now a single job of its own, under the id a single job would have had.
    const handedOn = await h.queues[QueueName.ClassifyCommunication].getJob(jobId('classify', poisoned));
    expect(handedOn?.data).toEqual({ recordId: inBatch[1].recordId, messageId: poisoned });
    expect(handedOn?.name).toBe('classify');
  });

  it('finishes a rerun: a message classified before the crash gets its missing suggestion, once', async () => {
    const [complaint] = await logged(['The app crashes every time we log in, this is unacceptable']);
    // What a run that died after writing the classification (without its suggestion) leaves behind.
    const classifier = await h.deps.classifier.get();
    await insertClassifications(h.test.db.sql, [
      {
        classification: {
          ...complaint,
          companyId: null,
          assigneeRepId: null,
          label: 'issue',
          confidence: 0.9,
          scores: {},
          sentiment: -0.5,
          entities: [],
          modelVersion: classifier.version,
        },
      },
    ]);
    const batcher = new ClassifyBatcher(h.deps, { maxBatch: 32, maxInFlight: 1 });

    const [first, second] = await Promise.all([
      batcher.classify(jobFor(complaint)),
      batcher.classify(jobFor(complaint)),
    ]);

    expect(first).toMatchObject({ status: 'already-classified', label: 'issue' });
    expect(second.suggestedFollowUpId).toBe(first.suggestedFollowUpId);
    expect(await h.test.db.prisma.classification.count()).toBe(1);
    expect(
      await h.test.db.prisma.followUp.count({ where: { recordId: complaint.recordId, status: 'suggested' } }),
    ).toBe(1);
  });

  it('keeps one pending suggestion per conversation in the database itself', async () => {
    const [a] = await logged(['Our invoices are wrong again']);
    const second = await h.test.db.prisma.message.create({
      data: {
        recordId: a.recordId,
        externalId: `x-${randomUUID()}`,
        direction: 'inbound',
        text: 'And the totals',
        cleanText: 'And the totals',
        sentAt: new Date(),
      },
    });
    const record = await h.test.db.prisma.communicationRecord.findUniqueOrThrow({ where: { id: a.recordId } });
    const row = (messageId: string) => ({
      classification: {
        recordId: a.recordId,
        messageId,
        companyId: record.companyId,
        assigneeRepId: null,
        label: 'issue',
        confidence: 0.8,
        scores: {},
        sentiment: -0.2,
        entities: [],
        modelVersion: 'test',
      },
      suggestion: {
        title: 'Reply about the problem',
        dueAt: new Date(Date.now() + 3_600_000),
        priority: 'normal',
        reason: 'test',
        defaultTarget: 'console:team',
      },
    });
    // Both rows ask for a suggestion in one statement: the partial unique index lets one through.
    const written = await insertClassifications(h.test.db.sql, [row(a.messageId), row(second.id)]);
    expect([...written.values()].filter((w) => w.followUp)).toHaveLength(1);
    // Any other writer is refused by the database, not only by our check before inserting.
    await expect(
      h.test.db.prisma.followUp.create({
        data: {
          companyId: record.companyId,
          recordId: a.recordId,
          title: 'Another',
          dueAt: new Date(),
          status: 'suggested',
          source: 'suggested',
        },
      }),
    ).rejects.toThrow();
    expect(await h.test.db.prisma.followUp.count({ where: { recordId: a.recordId, status: 'suggested' } })).toBe(1);
  });
});
