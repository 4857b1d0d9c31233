import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { isTombstoned } from '../../../src/services/tombstones.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { normalizeCompanyName, normalizePersonName } from '../../../src/domain/normalize-company-name.ts';

const NOW = new Date('2026-11-23T15:00:00Z'); // Monday

describe.each(TEST_DATABASE_KINDS)('CRM commands on %s', (kind) => {
  let t: TestDatabase;
  const calls: string[] = [];
  const hooks: PipelineHooks = {
    async recordLogged(recordId, messageId) {
      calls.push(`recordLogged:${recordId}:${messageId}`);
    },
    async followUpChanged(id) {
      calls.push(`followUpChanged:${id}`);
    },
  };
  let key = 0;
  const ctx = (over: Partial<CommandContext> = {}): CommandContext => ({
    actor: { platform: 'console', platformUserId: 'alice', displayName: 'Alice', timezone: 'America/New_York' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: NOW,
    requestKey: `req-${kind}-${key++}`,
    ...over,
  });
  const run = (text: string, over: Partial<CommandContext> = {}): Promise<Reply> =>
    executeCommand(text, ctx(over), { db: t.db, hooks });
  const sectionCommands = (r: Reply) => (r.sections ?? []).flatMap((s) => (s.buttons ?? []).map((b) => b.command));

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const companies: Array<[string, string[]]> = [
      ['ACME Corp.', ['acme.com']],
      ['Acme Widgets Ltd', ['acmewidgets.io']],
      ['Globex Corporation', ['globex.com']],
      ['Initech GmbH', []],
      ['Umbrella Industries', ['umbrella.example']],
      ['Stark Industries', []],
      ['Wayne Enterprises', ['wayne.co']],
    ];
    for (const [name, domains] of companies) {
      await t.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains } });
    }
    const globex = await t.db.prisma.company.findFirstOrThrow({ where: { name: 'Globex Corporation' } });
    const acme = await t.db.prisma.company.findFirstOrThrow({ where: { name: 'ACME Corp.' } });
    await t.db.prisma.contact.createMany({
      data: [
        {
          companyId: globex.id,
          name: 'Hank Scorpio',
          normalizedName: normalizePersonName('Hank Scorpio'),
          emails: ['hank@globex.com'],
        },
        {
          companyId: acme.id,
          name: 'Jo Miller',
          normalizedName: normalizePersonName('Jo Miller'),
          emails: ['jo@acme.com'],
          platformUserIds: ['slack:T1/U99'],
        },
      ],
    });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('ranks lookups: suffixes, typos, domains, emails and contact names', async () => {
    const top = async (q: string) => (await lookupCustomer(t.db, q))[0]?.companyName;
    expect(await top('acme corp')).toBe('ACME Corp.');
    expect(await top('ACME, Inc.')).toBe('ACME Corp.');
    expect(await top('acme')).toBe('ACME Corp.'); // exact beats the "Acme Widgets" prefix
    expect(await top('acem')).toBe('ACME Corp.'); // transposition
    expect(await top('globx')).toBe('Globex Corporation');
    expect(await top('umbrela industires')).toBe('Umbrella Industries'); // two typos
    expect(await top('initech')).toBe('Initech GmbH');
    expect(await top('acmewidgets.io')).toBe('Acme Widgets Ltd');
    expect(await top('https://www.globex.com/contact')).toBe('Globex Corporation');
    expect(await top('Hank@Globex.com')).toBe('Globex Corporation');
    expect(await top('hank scorpio')).toBe('Globex Corporation');
    expect(await top('acme wid')).toBe('Acme Widgets Ltd');
    expect(await lookupCustomer(t.db, 'zzzqqq')).toEqual([]);
    const industries = await lookupCustomer(t.db, 'industries');
    expect(industries.map((m) => m.companyName).sort()).toEqual(['Stark Industries', 'Umbrella Industries']);
  });

  it('lookup shows a card for a clear match and a pick list for several', async () => {
    const card = await run('lookup globx');
    expect(card.title).toBe('Globex Corporation');
    expect(card.fields?.find((f) => f.label === 'Contacts')?.value).toContain('hank@globex.com');
    const pick = await run('find industries');
    expect(pick.title).toBe('Which customer?');
    expect(sectionCommands(pick).sort()).toEqual(['lookup "Stark Industries"', 'lookup "Umbrella Industries"']);
  });

  it('logs quoted and unquoted, idempotently by request key, and enqueues classification', async () => {
    calls.length = 0;
    const first = await run('log acme Called Jo, wants a quote --via call', { requestKey: 'same-request' });
    expect(first.tone).toBe('success');
    const again = await run('log acme Called Jo, wants a quote --via call', { requestKey: 'same-request' });
    expect(again.title).toMatch(/^Already logged/);
    const records = await t.db.prisma.communicationRecord.findMany({
      where: { sourceKey: 'console:command:same-request' },
      include: { messages: true },
    });
    expect(records).toHaveLength(1);
    expect(records[0].channelKind).toBe('call');
    expect(records[0].messages.map((m) => m.text)).toEqual(['Called Jo, wants a quote']);
    expect(calls.filter((c) => c.startsWith('recordLogged'))).toHaveLength(1);

    const quoted = await run('log "Acme Widgets Ltd" "Demo went well" --at yesterday 3pm --follow-up friday 10am');
    expect(quoted.tone).toBe('success');
    const rec = await t.db.prisma.communicationRecord.findFirstOrThrow({
      where: { subject: 'Demo went well' },
      include: { followUps: true, company: true },
    });
    expect(rec.company?.name).toBe('Acme Widgets Ltd');
    expect(rec.startedAt.toISOString()).toBe('2026-11-22T20:00:00.000Z'); // 3pm EST
    expect(rec.followUps[0].dueAt.toISOString()).toBe('2026-11-27T15:00:00.000Z'); // Friday 10am EST
    const audit = await t.db.prisma.auditLog.findFirstOrThrow({ where: { action: 'record.log', subject: rec.id } });
    const rep = await t.db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: 'console:alice' } } });
    expect(audit).toMatchObject({ actor: rep.id, platform: 'console' });
    expect(rep.timezone).toBe('America/New_York');
  });

  it('never creates a customer silently, and rejects bad input without writing', async () => {
    const before = await t.db.prisma.communicationRecord.count();
    const unknown = await run('log "Hooli XYZ" Met at the fair');
    expect(unknown.tone).toBe('warning');
    expect(unknown.buttons?.[0].command).toBe('log "Hooli XYZ" "Met at the fair" --new');
    expect(await t.db.prisma.company.count({ where: { name: 'Hooli XYZ' } })).toBe(0);
    const typo = await run('log acem Called again');
    expect(sectionCommands(typo)).toContain('log "ACME Corp." "Called again"');
    const tooLong = await run(`log acme ${'x'.repeat(4001)}`);
    expect(tooLong).toMatchObject({ tone: 'error' });
    expect(tooLong.text).toContain('4000');
    const past = await run('log acme hi --follow-up yesterday 5pm');
    expect(past.tone).toBe('error');
    expect(past.text).toMatch(/in the past.*tomorrow 9am/);
    expect(await t.db.prisma.communicationRecord.count()).toBe(before);
    const created = await run(unknown.buttons![0].command);
    expect(created.tone).toBe('success');
    expect(await t.db.prisma.company.count({ where: { name: 'Hooli XYZ' } })).toBe(1);
  });

  it('remind, followups and the follow-up buttons change state', async () => {
    const reminded = await run('remind globex tomorrow 9am send the contract');
    expect(reminded.title).toMatch(/^Follow-up #\d+ set/);
    const number = Number(/#(\d+)/.exec(reminded.title!)![1]);
    const f = await t.db.prisma.followUp.findUniqueOrThrow({ where: { number } });
    expect(f).toMatchObject({
      title: 'send the contract',
      status: 'open',
      source: 'manual',
      remindTarget: 'console:team',
    });
    expect(f.dueAt.toISOString()).toBe('2026-11-24T14:00:00.000Z');
    const list = await run('followups');
    expect(sectionCommands(list)).toContain(`done ${number}`);
    const globexList = await run('followups globex');
    expect(globexList.sections?.map((s) => s.title)).toEqual([`#${number} send the contract`]);
    expect((await run(`snooze ${number} tomorrow 9:00`)).tone).toBe('success');
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { number } })).status).toBe('snoozed');
    // Bob has not used Rapport yet: assigning him registers him (issue 20), and his first command finds him.
    expect((await run(`assign ${number} @bob`)).tone).toBe('success');
    await run('help', {
      actor: { platform: 'console', platformUserId: 'bob', displayName: 'bob', timezone: 'Asia/Tokyo' },
    });
    await run('followups', {
      actor: { platform: 'console', platformUserId: 'bob', displayName: 'bob', timezone: 'Asia/Tokyo' },
    });
    expect(await t.db.prisma.rep.count({ where: { platformUserIds: { has: 'console:bob' } } })).toBe(1);
    expect((await run(`assign ${number} @bob`)).text).toMatch(/already assigned to bob/);
    const done = await run(`done ${number}`);
    expect(done.sections?.[0].fields).toContainEqual({ label: 'Status', value: 'done' });
    expect(sectionCommands(done)).toEqual([]);
    expect((await run(`done ${number}`)).text).toMatch(/already done/);
    expect((await run(`snooze ${number} friday`)).tone).toBe('error');
    expect((await run('done 99999')).text).toMatch(/no follow-up #99999/);
    const actions = await t.db.prisma.auditLog.findMany({ where: { subject: f.id }, orderBy: { createdAt: 'asc' } });
    expect(actions.map((a) => a.action)).toEqual([
      'followup.create',
      'followup.snooze',
      'followup.assign',
      'followup.done',
    ]);
  });

  it('assign "me" is the person typing; a console name an edit from a rep\'s is a typo, not a new colleague', async () => {
    const reminded = await run('remind stark tomorrow 9am send the renewal terms');
    const number = Number(/#(\d+)/.exec(reminded.title!)![1]);
    const bertrand = {
      platform: 'console' as const,
      platformUserId: 'bertrand',
      displayName: 'Bertrand',
      timezone: 'UTC',
    };
    await run('help', { actor: bertrand });
    expect((await run(`assign ${number} @bertrand`)).text).toMatch(/assigned to bertrand/i);
    // Before: a console Rep called "me" was made and given the follow-up, out of everyone's list.
    const mine = await run(`assign ${number} me`);
    expect(mine.text).toMatch(/assigned to Alice/);
    const alice = await t.db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: 'console:alice' } } });
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { number } })).assigneeRepId).toBe(alice.id);
    expect(await t.db.prisma.rep.count({ where: { name: { in: ['me', 'ME'] } } })).toBe(0);
    // A typo of Bertrand's name is refused with his name; nothing is registered, the assignee stays.
    const typo = await run(`assign ${number} bertrnad`);
    expect(typo.tone).toBe('error');
    expect(typo.text).toMatch(/No rep is called "bertrnad"\. Did you mean "bertrand"\?/i);
    expect(await t.db.prisma.rep.count({ where: { name: 'bertrnad' } })).toBe(0);
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { number } })).assigneeRepId).toBe(alice.id);
    // One letter changed is another person (Bertram), and so is a short name: registered as console users.
    expect((await run(`assign ${number} bertram`)).text).toMatch(/assigned to bertram/);
    // Someone new whose name is far from everyone's is still registered as that console user.
    expect((await run(`assign ${number} @zebulon`)).text).toMatch(/assigned to zebulon/);
  });

  it('accept and label correct the pipeline suggestions', async () => {
    const wayne = await t.db.prisma.company.findFirstOrThrow({ where: { name: 'Wayne Enterprises' } });
    expect((await run('log "Wayne Enterprises" "Asked what 40 more seats would cost"')).tone).toBe('success');
    const record = await t.db.prisma.communicationRecord.findFirstOrThrow({
      where: { companyId: wayne.id, subject: 'Asked what 40 more seats would cost' },
      include: { messages: true },
    });
    await t.db.prisma.classification.create({
      data: {
        recordId: record.id,
        messageId: record.messages[0].id,
        label: 'other',
        confidence: 0.6,
        modelVersion: 'test',
      },
    });
    const suggestion = await t.db.prisma.followUp.create({
      data: {
        companyId: wayne.id,
        recordId: record.id,
        title: 'Send quote',
        dueAt: new Date('2026-11-25T15:00:00Z'),
        status: 'suggested',
        source: 'suggested',
      },
    });
    expect((await run(`accept ${suggestion.number}`)).tone).toBe('success');
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: suggestion.id } })).status).toBe('open');
    const labelled = await run(`label ${record.id} purchase`);
    expect(labelled.tone).toBe('success');
    const cls = await t.db.prisma.classification.findFirstOrThrow({ where: { recordId: record.id } });
    expect(cls.correctedLabel).toBe('purchase');
    expect(await t.db.prisma.labeledExample.findMany({ where: { recordId: record.id } })).toMatchObject([
      { label: 'purchase', source: 'correction' },
    ]);
    const card = await run('lookup "Wayne Enterprises"');
    expect(card.sections?.some((s) => s.title?.includes('purchase (corrected)'))).toBe(true);
  });

  it('link and unlink the current channel; unknown commands suggest the nearest', async () => {
    expect((await run('link globex')).tone).toBe('success');
    expect(await t.db.prisma.channelLink.count({ where: { platform: 'console', channelRef: 'team' } })).toBe(1);
    expect((await run('unlink')).tone).toBe('success');
    expect((await run('unlink')).tone).toBe('error');
    const unknown = await run('lokup acme');
    expect(unknown.text).toMatch(/Did you mean "lookup"/);
  });

  it('export returns everything about the customer', async () => {
    const kramerica = await t.db.prisma.company.create({
      data: {
        name: 'Kramerica LLC',
        normalizedName: normalizeCompanyName('Kramerica LLC'),
        domains: ['kramerica.com'],
      },
    });
    await t.db.prisma.contact.create({
      data: {
        companyId: kramerica.id,
        name: 'Cosmo Kramer',
        normalizedName: normalizePersonName('Cosmo Kramer'),
        emails: ['cosmo@kramerica.com'],
      },
    });
    expect((await run('remind kramerica tomorrow 9am send the prototype')).tone).toBe('success');
    const reply = await run('export kramerica json');
    const data = JSON.parse(reply.text);
    expect(data.company.name).toBe('Kramerica LLC');
    expect(data.contacts[0].emails).toEqual(['cosmo@kramerica.com']);
    expect(data.followUps.map((f: { title: string }) => f.title)).toEqual(['send the prototype']);
    expect((await run('export kramerica csv')).text.split('\r\n')[0]).toContain('"record_id"');
  });

  it('forget needs a confirmation, erases every trace and refuses a re-log', async () => {
    // Its own customer: erasing one another test looks up would make the outcome depend on the order.
    const vandelay = await t.db.prisma.company.create({
      data: {
        name: 'Vandelay Imports',
        normalizedName: normalizeCompanyName('Vandelay Imports'),
        domains: ['vandelay.com'],
      },
    });
    await t.db.prisma.contact.create({
      data: {
        companyId: vandelay.id,
        name: 'Art Vandelay',
        normalizedName: normalizePersonName('Art Vandelay'),
        emails: ['art@vandelay.com'],
        platformUserIds: ['slack:T1/U77'],
      },
    });
    expect((await run('log "Vandelay Imports" Called Art, wants latex samples --via call')).tone).toBe('success');
    const logged = await run('log "Vandelay Imports" "Sent the catalogue" --follow-up friday 10am');
    expect(logged.tone).toBe('success');
    const recordIds = (await t.db.prisma.communicationRecord.findMany({ where: { companyId: vandelay.id } })).map(
      (r) => r.id,
    );
    expect(recordIds.length).toBeGreaterThan(0);
    await run('link vandelay imports');
    const ask = await run('forget vandelay imports');
    expect(ask.tone).toBe('warning');
    const command = ask.buttons![0].command;
    expect(command).toMatch(/^forget "Vandelay Imports" --confirm [0-9a-f]{16}$/);
    // The token is bound to this customer and this rep.
    expect((await run(command.replace('"Vandelay Imports"', '"Globex Corporation"'))).tone).toBe('error');
    expect(
      (
        await run(command, {
          actor: { platform: 'console', platformUserId: 'mallory', displayName: 'mallory', timezone: 'UTC' },
        })
      ).tone,
    ).toBe('error');
    // A guessed token, and a real one after 24 hours, are refused too.
    expect((await run('forget "Vandelay Imports" --confirm 0123456789abcdef')).tone).toBe('error');
    expect((await run(command, { now: new Date(NOW.getTime() + 25 * 3_600_000) })).text).toMatch(/not valid/);
    expect(await t.db.prisma.company.count({ where: { id: vandelay.id } })).toBe(1);

    const erased = await run(command);
    expect(erased.title).toBe('Customer erased');
    // Says what went, the quarantined raw mail and the redactions elsewhere too, as `rapport erase` does.
    expect(erased.text).toMatch(
      /^Vandelay Imports was erased: \d+ contacts?, \d+ records?, \d+ messages?, \d+ follow-ups?, 0 quarantined mails deleted; \d+ messages? and \d+ records? of other customers redacted\./,
    );
    const count = (rows: Array<Record<string, unknown>>) => rows.length;
    expect(await t.db.prisma.company.count({ where: { id: vandelay.id } })).toBe(0);
    expect(await t.db.prisma.contact.count({ where: { companyId: vandelay.id } })).toBe(0);
    expect(await t.db.prisma.contact.count({ where: { emails: { has: 'art@vandelay.com' } } })).toBe(0);
    expect(await t.db.prisma.communicationRecord.count({ where: { id: { in: recordIds } } })).toBe(0);
    expect(await t.db.prisma.message.count({ where: { recordId: { in: recordIds } } })).toBe(0);
    expect(await t.db.prisma.classification.count({ where: { recordId: { in: recordIds } } })).toBe(0);
    expect(
      await t.db.prisma.followUp.count({
        where: { OR: [{ companyId: vandelay.id }, { recordId: { in: recordIds } }] },
      }),
    ).toBe(0);
    expect(await t.db.prisma.channelLink.count({ where: { companyId: vandelay.id } })).toBe(0);
    expect(await t.db.prisma.labeledExample.count({ where: { recordId: { in: recordIds } } })).toBe(0);
    // No table still holds the customer's name, domain, email or texts anywhere (audit log included).
    const tables = [
      'Company',
      'Contact',
      'CommunicationRecord',
      'Message',
      'Classification',
      'FollowUp',
      'ChannelLink',
      'LabeledExample',
      'Tombstone',
      'AuditLog',
    ];
    for (const table of tables) {
      const rows = await t.db.sql.query(
        `SELECT * FROM "${table}" t WHERE t::text ILIKE '%vandelay.com%' OR t::text ILIKE '%art vandelay%' OR t::text ILIKE '%latex samples%' OR t::text ILIKE '%Vandelay Imports%'`,
      );
      expect(count(rows), table).toBe(0);
    }
    const audit = await t.db.prisma.auditLog.findFirstOrThrow({ where: { action: 'customer.erase' } });
    expect(audit.details).toMatchObject({ counts: { records: recordIds.length, contacts: 1 } });
    expect(await isTombstoned(t.db, [{ kind: 'email', value: 'ART@vandelay.com' }])).toBe(true);
    expect(await isTombstoned(t.db, [{ kind: 'domain', value: 'vandelay.com' }])).toBe(true);
    expect(await isTombstoned(t.db, [{ kind: 'platform-user', value: 'slack:T1/U77' }])).toBe(true);
    expect(await isTombstoned(t.db, [{ kind: 'email', value: 'hank@globex.com' }])).toBe(false);

    for (const again of [
      'log art@vandelay.com Called back --new',
      'log vandelay.com Called back --new',
      'log "Vandelay Imports" Called back --new',
      'log art@vandelay.com Called back',
    ]) {
      const reply = await run(again);
      expect(reply.tone, again).toBe('error');
      expect(reply.text).toMatch(/erased on request/);
    }
    expect(
      await t.db.prisma.company.count({ where: { normalizedName: normalizeCompanyName('Vandelay Imports') } }),
    ).toBe(0);
  });
});
