import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDefaultModel } from '../../../src/classifier/default-model.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { runModelCommand } from '../../../app/commands/model.command.ts';
import { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { addClassifierLabel } from '../../../src/services/classifier-labels.service.ts';
import { retrainClassifier } from '../../../src/services/retrain-classifier.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const NOW = new Date('2026-11-23T15:00:00Z');
const hooks: PipelineHooks = { async recordLogged() {}, async followUpChanged() {} };
// The default model is the same for every test; building it once keeps the file fast.
const defaultModel = buildDefaultModel();

describe.each(TEST_DATABASE_KINDS)('label validation and the review queue on %s', (kind) => {
  let t: TestDatabase;
  let key = 0;
  const ctx = (user = 'alice'): CommandContext => ({
    actor: { platform: 'console', platformUserId: user, displayName: user, timezone: 'UTC' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: NOW,
    requestKey: `req-${key++}`,
  });
  const run = (text: string, user?: string): Promise<Reply> => executeCommand(text, ctx(user), { db: t.db, hooks });

  /** A record with one message and its classification. */
  async function record(text: string, label: string, confidence: number, scores: Record<string, number> = {}) {
    const company = await t.db.prisma.company.upsert({
      where: { id: '00000000-0000-4000-8000-000000000001' },
      create: { id: '00000000-0000-4000-8000-000000000001', name: 'Acme', normalizedName: 'acme' },
      update: {},
    });
    const r = await t.db.prisma.communicationRecord.create({
      data: {
        companyId: company.id,
        channelKind: 'note',
        sourceKey: `test:${text}`,
        startedAt: NOW,
        lastMessageAt: NOW,
        messages: {
          create: { externalId: `m:${text}`, direction: 'inbound', text, cleanText: text, sentAt: NOW },
        },
      },
      include: { messages: true },
    });
    await t.db.prisma.classification.create({
      data: { recordId: r.id, messageId: r.messages[0].id, label, confidence, scores, modelVersion: 'test' },
    });
    return r.id;
  }
  const corrections = (recordId: string) =>
    t.db.prisma.labeledExample.findMany({ where: { recordId, source: 'correction' } });
  const labelAudits = (recordId: string) =>
    t.db.prisma.auditLog.count({ where: { action: 'record.label', subject: recordId } });

  beforeEach(async () => {
    t = await createTestDatabase(kind);
    await new PrismaModelStore(t.db).save(defaultModel, { activate: true });
  });
  afterEach(async () => {
    await t.dispose();
  });

  it('refuses a label the model does not know, with did-you-mean, and stores nothing', async () => {
    const id = await record('please cancel our plan', 'churn', 0.9);
    const typo = await run(`label ${id} chrun`);
    expect(typo.tone).toBe('error');
    expect(typo.text).toMatch(/"chrun" is not a label the classifier knows\. Did you mean churn\?/);
    expect(typo.text).toMatch(/rapport model label add/);
    const unknown = await run(`label ${id} quote_request`);
    expect(unknown.tone).toBe('error');
    expect(unknown.text).toMatch(/Labels: .*purchase/);
    expect(await corrections(id)).toEqual([]);
  });

  it('accepts a label an administrator added, and only then', async () => {
    const id = await record('can you price 50 seats', 'need', 0.5);
    expect((await run(`label ${id} quote_request`)).tone).toBe('error');
    expect(await addClassifierLabel(t.db, 'quote_request', 'asks for a price quote', 'admin')).toBe(true);
    expect(await addClassifierLabel(t.db, 'quote_request', 'again', 'admin')).toBe(false);
    await expect(addClassifierLabel(t.db, 'Quote Request!', 'bad name', 'admin')).rejects.toThrow(/lowercase/);
    expect((await run(`label ${id} quote_request`)).tone).toBe('success');
    expect(await corrections(id)).toMatchObject([{ label: 'quote_request' }]);
  });

  it('lists unsure and unclassified records with confirm and correct buttons, not sure ones', async () => {
    const unsure = await record('the export looks odd', 'issue', 0.55);
    const abstained = await record('hmm', 'unclassified', 0.3, { need: 0.3, other: 0.2 });
    await record('please cancel our plan today', 'churn', 0.97);
    const queue = await run('review');
    expect(queue.title).toBe('Help the model');
    const sections = queue.sections ?? [];
    expect(sections.map((s) => s.title)).toEqual(['Acme · looks like need', 'Acme · looks like issue']);
    const [first, second] = sections;
    expect(first.buttons?.[0]).toMatchObject({ label: 'Yes, need', command: `label ${abstained} need` });
    expect(second.buttons?.[0]).toMatchObject({ label: 'Yes, issue', command: `label ${unsure} issue` });
    expect(second.buttons?.[1].choices?.map((c) => c.command)).toContain(`label ${unsure} feedback`);
    expect(second.buttons?.[1].choices?.map((c) => c.label)).not.toContain('issue');
  });

  it('turns each click into a correction exactly once, even clicked twice at the same time', async () => {
    const id = await record('the export looks odd', 'issue', 0.55);
    const confirm = (await run('review')).sections![0].buttons![0].command;
    const [a, b] = await Promise.all([run(confirm, 'alice'), run(confirm, 'bob')]);
    expect([a.text, b.text].sort()).toEqual([
      'Confirmed: issue. Thanks: the classifier learns from this at its next training.',
      'That record is already labelled issue; nothing changed.',
    ]);
    const [stored] = await corrections(id);
    expect(await labelAudits(id)).toBe(1);
    expect((await run(confirm)).text).toMatch(/already labelled issue/);
    expect((await corrections(id))[0].updatedAt).toEqual(stored.updatedAt);
    expect(await labelAudits(id)).toBe(1);
    expect((await run('review')).text).toMatch(/Nothing to review/);
  });

  it('moves the timestamp the retrain reads when a record is re-corrected', async () => {
    const id = await record('the export looks odd', 'issue', 0.55);
    await run(`label ${id} need`);
    const [first] = await corrections(id);
    await new Promise((r) => setTimeout(r, 20));
    expect((await run(`label ${id} feedback`)).text).toMatch(/from need to feedback/);
    const [second] = await corrections(id);
    expect(second.label).toBe('feedback');
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(second.createdAt).toEqual(first.createdAt);
    expect(await labelAudits(id)).toBe(2);
  });

  it('adds labels and retrains by hand from the CLI, a dry run storing nothing', async () => {
    const store = new PrismaModelStore(t.db);
    const chunks: string[] = [];
    const out = { write: (c: string) => chunks.push(c) };
    expect(
      await runModelCommand(['label', 'add', 'quote_request', 'asks', 'for', 'a', 'price'], store, out, out, t.db),
    ).toBe(0);
    expect(chunks.join('')).toMatch(
      /Added label quote_request: reps can now choose it.*next retrain learns it once 5 or more records are corrected to it/s,
    );
    chunks.length = 0;
    expect(await runModelCommand(['labels', 'list'], store, out, out, t.db)).toBe(0);
    expect(chunks.join('')).toMatch(/Added: quote_request - asks for a price/);
    const id = await record('how much for 50 seats', 'need', 0.6);
    await run(`label ${id} quote_request`);
    chunks.length = 0;
    expect(await runModelCommand(['retrain', '--dry-run'], store, out, out, t.db)).toBe(0);
    const dry = chunks.join('');
    expect(dry).toMatch(/dry run: nothing is stored.*Classifier retrained on \d+ examples \(0 corrections\)/s);
    // One correction does not add a label: the model would carry a label it almost never predicts.
    expect(dry).toMatch(/Not trained on quote_request yet: it has 1 of the 5 corrections a new label needs/);
    expect(dry).toMatch(/Top-label macro-F1 [\d.]+ against [\d.]+ for crm-default-\w+/);
    expect(dry).toMatch(/Dry run: the gate would (activate the new model|keep crm-default-\w+).*nothing was stored/);
    expect(await t.db.prisma.model.count()).toBe(1);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'model.retrain' } })).toBe(0);

    // Without --dry-run: the decision is made, the model stored (active or not) and the notice audited.
    chunks.length = 0;
    expect(await runModelCommand(['retrain'], store, out, out, t.db)).toBe(0);
    expect(chunks.join('')).toMatch(/(Model crm-[\w-]+ is now active|Kept crm-default-\w+): /);
    expect(await t.db.prisma.model.count()).toBe(2);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'model.retrain' } })).toBe(1);
    chunks.length = 0;
    expect(await runModelCommand(['retrain', '--force'], store, out, out, t.db)).toBe(2);
    expect(chunks.join('')).toMatch(/Unknown option "--force"/);
  });

  it('retrains without stored corrections whose label the model does not know, and says how many', async () => {
    // Stored before label checked its input: a typo and a label nobody added.
    const typo = await record('we will cancel if this goes on', 'issue', 0.6);
    const quote = await record('can you quote 50 seats', 'need', 0.6);
    const good = await record('the export is borked again', 'need', 0.6);
    await t.db.prisma.labeledExample.createMany({
      data: [
        { text: 'we will cancel if this goes on', label: 'chrun', source: 'correction', recordId: typo },
        { text: 'can you quote 50 seats', label: 'quote_request', source: 'correction', recordId: quote },
        { text: 'the export is borked again', label: 'issue', source: 'correction', recordId: good },
      ],
    });
    const store = new PrismaModelStore(t.db);
    const outcome = await retrainClassifier(t.db, store, { requestedBy: 'cli', version: 'crm-test', dryRun: true });
    expect(outcome.ignored).toEqual({ count: 2, labels: ['chrun', 'quote_request'] });
    expect(outcome.artifact?.labels).toEqual(defaultModel.labels);
    expect(outcome.artifact?.trainingSummary.corrections).toBe(1);
    expect(outcome.text).toMatch(
      /Ignored 2 stored corrections with a label the model does not know \(chrun, quote_request\): relabel those records with `label <record id> <label>`/,
    );
    expect(outcome.text).toMatch(
      /Abstentions \(scored by their top label above, reported apart\): [\d.]+% unclassified/,
    );
    expect(await t.db.prisma.model.count()).toBe(1);
  });
});
