import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDefaultModel } from '../../../src/classifier/default-model.ts';
import { readCorrections } from '../../../src/db/correction.repository.ts';
import { PrismaModelStore } from '../../../src/db/prisma-model-store.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { correctLabel } from '../../../src/services/correct-label.service.ts';
import { deleteChatMessage, logChatMessage } from '../../../src/services/log-chat-message.service.ts';
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

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    store = new PrismaModelStore(t.db);
    await store.save(defaultModel, { activate: true });
  });
  afterAll(async () => {
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
    return { chat, deleted };
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
});
