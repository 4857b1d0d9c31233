import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { changeFollowUp, createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { buildFollowUpCard } from '../../../src/notifications/follow-up-card.notification.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';

const NOW = new Date('2026-11-23T15:00:00Z'); // Monday, 10:00 in New York

describe.each(TEST_DATABASE_KINDS)('due and idempotent remind on %s', (kind) => {
  let t: TestDatabase;
  let companyId: string;
  const changed: string[] = [];
  const hooks: PipelineHooks = {
    async recordLogged() {},
    async followUpChanged(id) {
      changed.push(id);
    },
  };
  let key = 0;
  const ctx = (over: Partial<CommandContext> = {}): CommandContext => ({
    actor: { platform: 'console', platformUserId: 'alice', displayName: 'Alice', timezone: 'America/New_York' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: NOW,
    requestKey: `due-${kind}-${key++}`,
    ...over,
  });
  const run = (text: string, over: Partial<CommandContext> = {}): Promise<Reply> =>
    executeCommand(text, ctx(over), { db: t.db, hooks });
  const suggestion = (status: 'suggested' | 'open' | 'snoozed' | 'done' | 'dismissed' = 'suggested') =>
    t.db.prisma.followUp.create({
      data: {
        companyId,
        title: `Send quote (${status})`,
        dueAt: new Date('2026-11-25T15:00:00Z'),
        status,
        source: 'suggested',
        escalatedAt: new Date('2026-11-23T12:00:00Z'),
      },
    });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const company = await t.db.prisma.company.create({
      data: {
        name: 'Globex Corporation',
        normalizedName: normalizeCompanyName('Globex Corporation'),
        domains: ['globex.com'],
      },
    });
    companyId = company.id;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('"Change due" on a suggestion card runs due: new date, still suggested, audited, reminder moved', async () => {
    const f = await suggestion();
    const card = await buildFollowUpCard(t.db, f.id, 'suggestion', 'America/New_York', NOW);
    const button = card!.buttons!.find((b) => b.label === 'Change due')!;
    changed.length = 0;
    const reply = await run(`${button.command} friday 14:00`);
    expect(reply.tone).toBe('success');
    expect(reply.text).toContain('due Fri');
    const after = await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } });
    expect(after.dueAt.toISOString()).toBe('2026-11-27T19:00:00.000Z'); // Friday 14:00 EST
    expect(after.status).toBe('suggested');
    expect(after.escalatedAt).toBeNull();
    expect(changed).toEqual([f.id]);
    const audit = await t.db.prisma.auditLog.findFirstOrThrow({ where: { subject: f.id, action: 'followup.due' } });
    expect(audit.details).toMatchObject({
      number: f.number,
      from: 'suggested',
      to: 'suggested',
      dueAt: '2026-11-27T19:00:00.000Z',
      previousDueAt: '2026-11-25T15:00:00.000Z',
    });
    const rep = await t.db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: 'console:alice' } } });
    expect(audit.actor).toBe(rep.id);

    // A second click with the same date changes nothing and tells the pipeline nothing.
    changed.length = 0;
    const again = await run(`due ${f.number} friday 14:00`);
    expect(again.tone).toBe('info');
    expect(again.text).toMatch(/already due/);
    expect(changed).toEqual([]);
    expect(await t.db.prisma.auditLog.count({ where: { subject: f.id, action: 'followup.due' } })).toBe(1);
  });

  it('due works on open and snoozed follow-ups, keeping their state, and refuses closed ones and past dates', async () => {
    for (const status of ['open', 'snoozed'] as const) {
      const f = await suggestion(status);
      expect((await run(`due ${f.number} in 3 days`)).tone).toBe('success');
      const after = await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } });
      expect(after.status).toBe(status);
      expect(after.dueAt.toISOString()).toBe('2026-11-26T14:00:00.000Z'); // Thursday 9:00 EST
    }
    for (const status of ['done', 'dismissed'] as const) {
      const f = await suggestion(status);
      const reply = await run(`due ${f.number} friday`);
      expect(reply.tone).toBe('error');
      expect(reply.text).toContain(`is ${status}; it cannot be rescheduled`);
      expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).dueAt.toISOString()).toBe(
        '2026-11-25T15:00:00.000Z',
      );
    }
    const open = await suggestion('open');
    expect((await run(`due ${open.number} yesterday 5pm`)).text).toMatch(/in the past/);
    expect((await run('due 99999 friday')).text).toMatch(/no follow-up #99999/);
  });

  it('help lists due and explains it', async () => {
    expect((await run('help')).text).toContain('due <follow-up #> <when>');
    expect((await run('help due')).text).toContain('Change due');
  });

  it('changeFollowUp due through the service, as the card button does', async () => {
    const f = await suggestion('open');
    const rep = await findOrCreateRep(t.db.prisma, ctx().actor); // its own rep: no earlier command may have made one
    changed.length = 0;
    const at = new Date('2026-12-01T10:00:00Z');
    const result = await changeFollowUp(
      t.db,
      f.number,
      { kind: 'due', dueAt: at },
      { repId: rep.id, platform: 'console' },
      hooks,
    );
    expect(result.changed).toBe(true);
    expect(result.followUp.dueAt.toISOString()).toBe(at.toISOString());
    expect(changed).toEqual([f.id]);
  });

  it('remind is idempotent by request key: a retried request creates one follow-up and schedules it once', async () => {
    changed.length = 0;
    const first = await run('remind globex tomorrow 9am send the contract', { requestKey: 'slack-trigger-1' });
    expect(first.title).toMatch(/^Follow-up #\d+ set/);
    const retry = await run('remind globex tomorrow 9am send the contract', { requestKey: 'slack-trigger-1' });
    expect(retry.tone).toBe('success');
    expect(retry.title).toBe(first.title!.replace(' set', ' already set'));
    expect(retry.text).toMatch(/nothing new was written/);
    const rows = await t.db.prisma.followUp.findMany({ where: { title: 'send the contract' } });
    expect(rows).toHaveLength(1);
    expect(rows[0].requestKey).toBe('console:command:slack-trigger-1');
    expect(changed).toEqual([rows[0].id]);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'followup.create', subject: rows[0].id } })).toBe(1);
    // Another request with the same words is a new follow-up.
    await run('remind globex tomorrow 9am send the contract', { requestKey: 'slack-trigger-2' });
    expect(await t.db.prisma.followUp.count({ where: { title: 'send the contract' } })).toBe(2);
  });

  it('two retries racing each other still create one follow-up', async () => {
    const rep = await findOrCreateRep(t.db.prisma, ctx().actor); // its own rep: no earlier command may have made one
    const input = {
      companyId,
      title: 'race',
      dueAt: new Date('2026-12-02T10:00:00Z'),
      assigneeRepId: rep.id,
      actor: { repId: rep.id, platform: 'console' },
      requestKey: `race-${kind}`,
    };
    const results = await Promise.all([
      createFollowUp(t.db, input, hooks),
      createFollowUp(t.db, input, hooks),
      createFollowUp(t.db, input, hooks),
    ]);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await t.db.prisma.followUp.count({ where: { title: 'race' } })).toBe(1);
  });
});
