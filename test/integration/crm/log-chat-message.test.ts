import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import {
  deleteChatMessage,
  editChatMessage,
  logChatMessage,
  type ChatMessageInput,
} from '../../../src/services/log-chat-message.service.ts';

describe.each(TEST_DATABASE_KINDS)('chat auto-logging service on %s', (kind) => {
  let t: TestDatabase;
  let companyId: string;
  let calls: string[] = [];
  const hooks: PipelineHooks = {
    async recordLogged(_recordId, messageId) {
      calls.push(`logged:${messageId}`);
    },
    async followUpChanged() {},
    async messageEdited(_recordId, messageId) {
      calls.push(`edited:${messageId}`);
    },
  };
  let seq = 0;
  /** A message in channel T1/C<n>; thread defaults to the message itself (top-level). */
  const msg = (over: Partial<ChatMessageInput> = {}): ChatMessageInput => {
    const ts = `1763800000.${String(++seq).padStart(6, '0')}`;
    return {
      platform: 'slack',
      channelRef: 'T1/C1',
      threadKey: ts,
      messageKey: ts,
      author: { platformUserId: 'T2/U9', name: 'Jo Customer', email: 'jo@acme.com', isBot: false },
      direction: 'inbound',
      text: 'Can you send a quote for 50 seats?',
      sentAt: new Date('2026-11-22T10:00:00Z'),
      companyId,
      ...over,
    };
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  beforeEach(async () => {
    calls = [];
    const c = await t.db.prisma.company.create({
      data: { name: `Acme ${seq}`, normalizedName: normalizeCompanyName(`Acme ${seq}`), domains: [] },
    });
    companyId = c.id;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('logs a thread as one record: the top-level message starts it, replies append, directions kept', async () => {
    // An author no other test uses: the contact made here must be this test's company's.
    const root = msg({
      author: { platformUserId: 'T2/U11', name: 'Jo Customer', email: 'jo@thread.example', isBot: false },
    });
    const first = await logChatMessage(t.db, root, hooks);
    expect(first).toMatchObject({ status: 'logged', newRecord: true });
    const reply = await logChatMessage(
      t.db,
      msg({
        threadKey: root.threadKey,
        author: { platformUserId: 'T1/U1', name: 'Rep Ann', isBot: false },
        direction: 'outbound',
        text: 'Sure, sending it today',
      }),
      hooks,
    );
    expect(reply).toMatchObject({ status: 'logged', newRecord: false });
    if (first.status !== 'logged' || reply.status !== 'logged') throw new Error('not logged');
    expect(reply.recordId).toBe(first.recordId);

    const record = await t.db.prisma.communicationRecord.findUniqueOrThrow({
      where: { id: first.recordId },
      include: { messages: { orderBy: { sentAt: 'asc' } } },
    });
    expect(record.sourceKey).toBe(`slack:T1/C1/${root.threadKey}`);
    expect(record.channelKind).toBe('slack');
    expect(record.companyId).toBe(companyId);
    expect(record.messages.map((m) => [m.direction, m.text])).toEqual([
      ['inbound', 'Can you send a quote for 50 seats?'],
      ['outbound', 'Sure, sending it today'],
    ]);
    expect(record.messages[0].externalId).toBe(`slack:T1/C1/${root.messageKey}`);
    // The customer's author became a contact of the company, reachable for erase.
    const contact = await t.db.prisma.contact.findUniqueOrThrow({ where: { id: record.messages[0].contactId! } });
    expect(contact).toMatchObject({
      companyId,
      name: 'Jo Customer',
      emails: ['jo@thread.example'],
      platformUserIds: ['slack:T2/U11'],
    });
    expect(record.messages[1].contactId).toBeNull();
    expect(calls).toEqual([`logged:${first.messageId}`, `logged:${reply.messageId}`]);
    const audits = await t.db.prisma.auditLog.findMany({ where: { action: 'message.log', subject: first.recordId } });
    expect(audits).toHaveLength(2);
  });

  it('the same event delivered four times at once is one message, classified once', async () => {
    const m = msg({ author: { platformUserId: 'T2/U42', name: 'New Person', isBot: false } });
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => logChatMessage(t.db, m, hooks)));
    expect(outcomes.filter((o) => o.status === 'logged')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(3);
    expect(await t.db.prisma.message.count({ where: { externalId: `slack:T1/C1/${m.messageKey}` } })).toBe(1);
    expect(await t.db.prisma.communicationRecord.count({ where: { sourceKey: `slack:T1/C1/${m.threadKey}` } })).toBe(1);
    expect(await t.db.prisma.contact.count({ where: { platformUserIds: { has: 'slack:T2/U42' } } })).toBe(1);
    expect(calls.filter((c) => c.startsWith('logged:'))).toHaveLength(1);
  });

  it('skips bot messages and empty text without writing', async () => {
    const before = await t.db.prisma.message.count();
    expect(await logChatMessage(t.db, msg({ author: { platformUserId: 'T1/B1', isBot: true } }), hooks)).toEqual({
      status: 'skipped',
      reason: 'bot',
    });
    expect(await logChatMessage(t.db, msg({ text: '   ' }), hooks)).toEqual({ status: 'skipped', reason: 'empty' });
    expect(await t.db.prisma.message.count()).toBe(before);
    expect(calls).toEqual([]);
  });

  it('keeps a very long message whole', async () => {
    const text = 'word '.repeat(9000).trim();
    const o = await logChatMessage(t.db, msg({ text }), hooks);
    if (o.status !== 'logged') throw new Error(o.status);
    expect((await t.db.prisma.message.findUniqueOrThrow({ where: { id: o.messageId } })).text).toBe(text);
  });

  it('an edit replaces the text, drops the stale label and classifies again; older edits and unknown messages change nothing', async () => {
    const m = msg();
    const o = await logChatMessage(t.db, m, hooks);
    if (o.status !== 'logged') throw new Error(o.status);
    await t.db.prisma.classification.create({
      data: { recordId: o.recordId, messageId: o.messageId, label: 'purchase', confidence: 0.9, modelVersion: 'test' },
    });
    const ref = { platform: 'slack' as const, channelRef: 'T1/C1', messageKey: m.messageKey };
    const edited = await editChatMessage(
      t.db,
      {
        ...ref,
        text: 'The app *crashes* on login',
        cleanText: 'The app crashes on login',
        editedAt: new Date('2026-11-22T10:05:00Z'),
      },
      hooks,
    );
    expect(edited).toMatchObject({ status: 'updated', messageId: o.messageId });
    const stored = await t.db.prisma.message.findUniqueOrThrow({ where: { id: o.messageId } });
    expect([stored.text, stored.cleanText]).toEqual(['The app *crashes* on login', 'The app crashes on login']);
    expect(await t.db.prisma.classification.count({ where: { messageId: o.messageId } })).toBe(0);
    expect(calls).toContain(`edited:${o.messageId}`);

    const stale = await editChatMessage(
      t.db,
      { ...ref, text: 'older words', editedAt: new Date('2026-11-22T10:01:00Z') },
      hooks,
    );
    expect(stale.status).toBe('unchanged');
    expect((await t.db.prisma.message.findUniqueOrThrow({ where: { id: o.messageId } })).text).toBe(
      'The app *crashes* on login',
    );
    expect(await editChatMessage(t.db, { ...ref, messageKey: '1.2', text: 'x', editedAt: new Date() }, hooks)).toEqual({
      status: 'not_found',
    });
    expect(await t.db.prisma.auditLog.count({ where: { action: 'message.edit', subject: o.recordId } })).toBe(1);
  });

  it('a rep-corrected label survives an edit', async () => {
    const m = msg();
    const o = await logChatMessage(t.db, m, hooks);
    if (o.status !== 'logged') throw new Error(o.status);
    await t.db.prisma.classification.create({
      data: {
        recordId: o.recordId,
        messageId: o.messageId,
        label: 'other',
        correctedLabel: 'need',
        confidence: 0.4,
        modelVersion: 'test',
      },
    });
    await editChatMessage(
      t.db,
      {
        platform: 'slack',
        channelRef: 'T1/C1',
        messageKey: m.messageKey,
        text: 'We need more seats',
        editedAt: new Date('2026-11-22T11:00:00Z'),
      },
      hooks,
    );
    expect(await t.db.prisma.classification.count({ where: { messageId: o.messageId } })).toBe(1);
  });

  it('deleting a reply keeps the thread; deleting the last message removes the record', async () => {
    const root = msg();
    const reply = msg({ threadKey: root.threadKey });
    const a = await logChatMessage(t.db, root, hooks);
    await logChatMessage(t.db, reply, hooks);
    if (a.status !== 'logged') throw new Error(a.status);
    const ref = { platform: 'slack' as const, channelRef: 'T1/C1' };
    expect(await deleteChatMessage(t.db, { ...ref, messageKey: reply.messageKey })).toMatchObject({
      status: 'deleted',
      recordDeleted: false,
    });
    expect(await t.db.prisma.message.count({ where: { recordId: a.recordId } })).toBe(1);
    expect(await deleteChatMessage(t.db, { ...ref, messageKey: root.messageKey })).toMatchObject({
      status: 'deleted',
      recordDeleted: true,
    });
    expect(await t.db.prisma.communicationRecord.findUnique({ where: { id: a.recordId } })).toBeNull();
    expect(await deleteChatMessage(t.db, { ...ref, messageKey: root.messageKey })).toEqual({ status: 'not_found' });
    expect(await t.db.prisma.auditLog.count({ where: { action: 'message.delete', subject: a.recordId } })).toBe(2);
  });

  it('never re-logs an erased customer: not the old thread, not the same author in a new thread', async () => {
    // Its own author: erasing tombstones the author, whom the other tests must still be able to log.
    const author = { platformUserId: 'T2/U66', name: 'Ed Erased', email: 'ed@erased.example', isBot: false };
    const root = msg({ channelRef: 'T1/C7', author });
    const o = await logChatMessage(t.db, root, hooks);
    if (o.status !== 'logged') throw new Error(o.status);
    await eraseCustomer(t.db, companyId, { repId: 'admin', platform: 'console' });
    const other = await t.db.prisma.company.create({ data: { name: 'Other', normalizedName: 'other', domains: [] } });
    // A retry of the erased message, a reply in the erased thread, the erased author elsewhere: all refused.
    expect(await logChatMessage(t.db, { ...root, companyId: other.id }, hooks)).toEqual({
      status: 'skipped',
      reason: 'erased',
    });
    expect(
      await logChatMessage(
        t.db,
        msg({
          channelRef: 'T1/C7',
          threadKey: root.threadKey,
          companyId: other.id,
          author: { platformUserId: 'T1/U1', isBot: false },
          direction: 'outbound',
        }),
        hooks,
      ),
    ).toEqual({ status: 'skipped', reason: 'erased' });
    expect(await logChatMessage(t.db, msg({ channelRef: 'T1/C8', companyId: other.id, author }), hooks)).toEqual({
      status: 'skipped',
      reason: 'erased',
    });
    // The erased company itself is gone.
    expect(
      await logChatMessage(
        t.db,
        msg({ channelRef: 'T1/C9', author: { platformUserId: 'T3/U3', isBot: false } }),
        hooks,
      ),
    ).toEqual({ status: 'skipped', reason: 'unknown-company' });
    expect(await t.db.prisma.message.count({ where: { record: { companyId: other.id } } })).toBe(0);
  });
});
