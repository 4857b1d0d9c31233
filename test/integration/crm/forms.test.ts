import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { compareLocalDates, parseLocalDate } from '../../../src/commands/form-result.ts';
import { submitFollowUpForm } from '../../../src/commands/handlers/follow-up-form.handler.ts';
import { submitLogForm } from '../../../src/commands/handlers/log-form.handler.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { dueTomorrowMorning } from '../../../src/domain/follow-up.ts';
import { homeOverview } from '../../../src/commands/home-overview.ts';
import { guessCustomer } from '../../../src/services/guess-customer.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';

const NOW = new Date('2026-11-23T15:00:00Z'); // Monday 10:00 in New York, 16:00 in Berlin

describe('form dates', () => {
  it('reads YYYY-MM-DD and refuses impossible days', () => {
    expect(parseLocalDate('2026-02-28')).toEqual({ year: 2026, month: 2, day: 28 });
    expect(parseLocalDate('2026-02-30')).toBeUndefined();
    expect(parseLocalDate('28/02/2026')).toBeUndefined();
    expect(compareLocalDates({ year: 2026, month: 1, day: 31 }, { year: 2026, month: 2, day: 1 })).toBe(-1);
  });
});

describe.each(TEST_DATABASE_KINDS)('log and follow-up forms, home overview and customer guess on %s', (kind) => {
  let t: TestDatabase;
  let companyId: string;
  const logged: string[] = [];
  const hooks: PipelineHooks = {
    async recordLogged(id) {
      logged.push(id);
    },
    async followUpChanged() {},
  };
  const ctx = (timezone = 'America/New_York'): CommandContext => ({
    actor: { platform: 'slack', platformUserId: 'T1/U1', displayName: 'Alice', timezone },
    channel: { platform: 'slack', channelRef: 'T1/C1', target: 'slack:T1/C1' },
    now: NOW,
  });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    companyId = (
      await t.db.prisma.company.create({ data: { name: 'Globex', normalizedName: 'globex', domains: ['globex.com'] } })
    ).id;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("log form: dates are the rep's days (a future day is refused; a follow-up today after 9:00 is due in an hour; an earlier day is 9:00 then)", async () => {
    const deps = { db: t.db, hooks };
    const future = await submitLogForm(
      { customer: { companyId }, notes: 'x', date: '2026-11-24', sourceKey: 'k0' },
      ctx(),
      deps,
    );
    expect(future).toEqual({ ok: false, errors: { date: expect.stringMatching(/not happened yet/) } });
    const kinds = await submitLogForm(
      { customer: { companyId }, notes: 'x', kind: 'fax' as never, sourceKey: 'k0' },
      ctx(),
      deps,
    );
    expect(kinds).toEqual({ ok: false, errors: { kind: expect.stringMatching(/call, meeting, email, chat, note/) } });

    // 10:00 in New York: a follow-up "today" would be 9:00, already past, so it is due in an hour.
    const today = await submitLogForm(
      {
        customer: { companyId },
        kind: 'meeting',
        notes: 'Met the CFO',
        date: '2026-11-20',
        followUpDate: '2026-11-23',
        sourceKey: 'k1',
      },
      ctx(),
      deps,
    );
    expect(today.ok).toBe(true);
    const record = await t.db.prisma.communicationRecord.findUniqueOrThrow({
      where: { sourceKey: 'k1' },
      include: { followUps: true },
    });
    expect(record.channelKind).toBe('meeting');
    expect(record.startedAt.toISOString()).toBe('2026-11-20T14:00:00.000Z'); // Friday 9:00 in New York
    expect(record.followUps[0].dueAt.toISOString()).toBe('2026-11-23T16:00:00.000Z');
    expect(logged).toContain(record.id);
    // In Berlin it is already Monday 16:00: the same day is today there too, and 2026-11-24 is tomorrow 9:00 Berlin time.
    const berlin = await submitLogForm(
      { customer: { companyId }, notes: 'Called', followUpDate: '2026-11-24', sourceKey: 'k2' },
      ctx('Europe/Berlin'),
      deps,
    );
    expect(berlin.ok).toBe(true);
    const fu = await t.db.prisma.followUp.findFirstOrThrow({ where: { record: { sourceKey: 'k2' } } });
    expect(fu.dueAt.toISOString()).toBe('2026-11-24T08:00:00.000Z');
  });

  it("the log form and typed commands read days in the team's hours (RAPPORT_BUSINESS_HOURS 08:30-16:30, Sunday to Thursday)", async () => {
    const businessHours = { timeZone: 'UTC', startMinute: 8 * 60 + 30, endMinute: 16 * 60 + 30, days: [0, 1, 2, 3, 4] };
    const deps = { db: t.db, hooks, businessHours };
    // Its own customer: the typed `log` below must name exactly one.
    const initrode = await t.db.prisma.company.create({ data: { name: 'Initrode', normalizedName: 'initrode' } });
    const form = await submitLogForm(
      {
        customer: { companyId: initrode.id },
        notes: 'Form call',
        date: '2026-11-20',
        followUpDate: '2026-11-25',
        sourceKey: 'hours-form',
      },
      ctx(),
      deps,
    );
    expect(form.ok).toBe(true);
    const byForm = await t.db.prisma.communicationRecord.findUniqueOrThrow({
      where: { sourceKey: 'hours-form' },
      include: { followUps: true },
    });
    // Friday and Wednesday at 08:30 in New York, not 9:00.
    expect(byForm.startedAt.toISOString()).toBe('2026-11-20T13:30:00.000Z');
    expect(byForm.followUps[0].dueAt.toISOString()).toBe('2026-11-25T13:30:00.000Z');

    const typed = await executeCommand('log initrode "Typed call" --at friday --follow-up wednesday', ctx(), deps);
    expect(typed.tone).toBe('success');
    const byCommand = await t.db.prisma.communicationRecord.findFirstOrThrow({
      where: { companyId: initrode.id, subject: 'Typed call' },
      include: { followUps: true },
    });
    expect(byCommand.startedAt).toEqual(byForm.startedAt);
    expect(byCommand.followUps[0].dueAt).toEqual(byForm.followUps[0].dueAt);
    // "eod" is the team's close: Monday 16:30 in New York.
    expect((await executeCommand('remind initrode eod send the notes', ctx(), deps)).tone).toBe('success');
    const eod = await t.db.prisma.followUp.findFirstOrThrow({
      where: { companyId: initrode.id, title: 'send the notes' },
    });
    expect(eod.dueAt.toISOString()).toBe('2026-11-23T21:30:00.000Z');
    // Slack's New follow-up offers the team's next working morning, as `remind ... tomorrow` reads it.
    expect((await executeCommand('remind initrode tomorrow check in', ctx(), deps)).tone).toBe('success');
    const tomorrow = await t.db.prisma.followUp.findFirstOrThrow({
      where: { companyId: initrode.id, title: 'check in' },
    });
    expect(tomorrow.dueAt.toISOString()).toBe('2026-11-24T13:30:00.000Z');
    expect(dueTomorrowMorning(NOW, 'America/New_York', businessHours)).toEqual(tomorrow.dueAt);
  });

  it("follow-up form: remind's rules, then one follow-up per request key; the home overview lists it due today", async () => {
    const deps = { db: t.db, hooks };
    const bad = await submitFollowUpForm(
      { customer: undefined, title: 'x'.repeat(501), dueAt: new Date(NOW.getTime() - 1), requestKey: 'r0' },
      ctx(),
      deps,
    );
    expect(bad.ok ? [] : Object.keys(bad.errors).sort()).toEqual(['customer', 'dueAt', 'title']);
    const input = {
      customer: { companyId },
      title: 'Call back',
      dueAt: new Date(NOW.getTime() + 2 * 3_600_000),
      requestKey: 'r1',
    };
    const first = await submitFollowUpForm(input, ctx(), deps);
    const again = await submitFollowUpForm(input, ctx(), deps);
    expect(first.ok && first.reply.title).toMatch(/set$/);
    expect(again.ok && again.reply.text).toMatch(/nothing new was written/);
    expect(await t.db.prisma.followUp.count({ where: { requestKey: 'r1' } })).toBe(1);
    const lists = await homeOverview(ctx(), deps);
    expect(lists.map((l) => l.key)).toEqual(['overdue', 'today', 'open', 'suggestions', 'review']);
    expect(lists.find((l) => l.key === 'today')!.items.map((i) => i.title)).toContain(
      `#${(await t.db.prisma.followUp.findUniqueOrThrow({ where: { requestKey: 'r1' } })).number} Call back`,
    );
  });

  it('guesses a customer from a linked channel, else from an email (contact or company domain), never from free mail', async () => {
    const hooli = await t.db.prisma.company.create({
      data: {
        name: 'Hooli',
        normalizedName: 'hooli',
        contacts: { create: { name: 'Gavin', normalizedName: 'gavin', emails: ['gavin@gmail.com'] } },
      },
    });
    await t.db.prisma.channelLink.create({
      data: { platform: 'slack', channelRef: 'T1/CLINKED', companyId: hooli.id },
    });
    expect(
      await guessCustomer(t.db, { platform: 'slack', channelRef: 'T1/CLINKED', emails: ['ana@globex.com'] }),
    ).toMatchObject({ companyId: hooli.id, reason: 'channel' });
    expect(
      await guessCustomer(t.db, {
        platform: 'slack',
        channelRef: 'T1/CNONE',
        emails: ['me@gmail.com', 'ana@globex.com'],
      }),
    ).toMatchObject({ companyId, reason: 'email' });
    expect(await guessCustomer(t.db, { platform: 'slack', emails: ['gavin@gmail.com'] })).toMatchObject({
      companyId: hooli.id,
    }); // a known contact's own address
    expect(
      await guessCustomer(t.db, { platform: 'slack', emails: ['someone@gmail.com', 'x@unknown.example'] }),
    ).toBeUndefined();
  });

  it('a write that fails after validation keeps the form open: an error sentence on the notes field, nothing written', async () => {
    await t.db.sql.exec('ALTER TABLE "Message" RENAME TO "MessageAway"');
    try {
      const result = await submitLogForm({ customer: { companyId }, notes: 'Lost?', sourceKey: 'k-fail' }, ctx(), {
        db: t.db,
        hooks,
      });
      expect(result).toEqual({
        ok: false,
        errors: { notes: 'Could not save this just now; nothing was written. Submit again in a moment.' },
      });
    } finally {
      await t.db.sql.exec('ALTER TABLE "MessageAway" RENAME TO "Message"');
    }
    expect(await t.db.prisma.communicationRecord.count({ where: { sourceKey: 'k-fail' } })).toBe(0);
    // Submitted again once the database is back: logged.
    expect(
      (
        await submitLogForm({ customer: { companyId }, notes: 'Lost?', sourceKey: 'k-fail' }, ctx(), {
          db: t.db,
          hooks,
        })
      ).ok,
    ).toBe(true);
  });
});
