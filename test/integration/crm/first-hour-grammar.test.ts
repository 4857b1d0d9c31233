import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { CommandContext, PeopleDirectory } from '../../../src/commands/command-context.ts';
import type { CommandDeps } from '../../../src/commands/command-deps.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';

// Issue 20, "Commands and dates": what a new rep typed in their first hour, through the grammar every
// chat connector and the console share (executeCommand). Each test creates its own customers (names
// carry a per-test tag) so any test passes alone and in any order.
const NOW = new Date('2026-11-23T15:00:00Z'); // Monday, 10:00 in New York

describe.each(TEST_DATABASE_KINDS)('a rep’s first hour of commands on %s', (kind) => {
  let t: TestDatabase;
  const console = (platformUserId = 'alice', timezone = 'America/New_York'): CommandContext['actor'] => ({
    platform: 'console',
    platformUserId,
    displayName: platformUserId,
    timezone,
  });
  const ctx = (over: Partial<CommandContext> = {}): CommandContext => ({
    actor: console(),
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: NOW,
    requestKey: randomUUID(),
    ...over,
  });
  const run = (text: string, over: Partial<CommandContext> = {}, deps: Partial<CommandDeps> = {}): Promise<Reply> =>
    executeCommand(text, ctx(over), { db: t.db, hooks: noopPipelineHooks, ...deps });
  const numberOf = (r: Reply) => Number(/#(\d+)/.exec(r.title ?? r.text)?.[1]);
  const followUp = (number: number) => t.db.prisma.followUp.findUniqueOrThrow({ where: { number } });
  /** A customer with a name no other test uses ("Zyxwell Industries" -> "Zyxwell<tag> Industries"). */
  const customer = async (name: string, domains: string[] = []) =>
    t.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains } });
  const tag = () =>
    randomUUID()
      .replace(/[^a-f]/g, '')
      .slice(0, 6);

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('remind takes a quoted when and a quoted what', async () => {
    const name = `Quotex${tag()}`;
    await customer(name);
    const reply = await run(`remind ${name} "tomorrow 9am" "send the quote"`);
    expect(reply.tone, reply.text).toBe('success');
    const f = await followUp(numberOf(reply));
    expect(f.title).toBe('send the quote');
    expect(f.dueAt.toISOString()).toBe('2026-11-24T14:00:00.000Z');
    const soon = await run(`remind ${name} "in 35 seconds" "call back"`);
    expect(soon.tone, soon.text).toBe('success');
    expect((await followUp(numberOf(soon))).dueAt.toISOString()).toBe('2026-11-23T15:00:35.000Z');
  });

  it('reads timezones and keeps IANA names out of the title', async () => {
    const name = `Zonex${tag()}`;
    await customer(name);
    const pst = await run(`remind ${name} tomorrow 9am PST call the west coast`);
    expect((await followUp(numberOf(pst))).dueAt.toISOString()).toBe('2026-11-24T17:00:00.000Z');
    const berlin = await run(`remind ${name} tomorrow 09:00 Europe/Berlin call Jo`);
    const f = await followUp(numberOf(berlin));
    expect(f).toMatchObject({ title: 'call Jo' });
    expect(f.dueAt.toISOString()).toBe('2026-11-24T08:00:00.000Z');
  });

  it('a console user sets their own timezone', async () => {
    const name = `Tzco${tag()}`;
    await customer(name);
    const user = `carol${tag()}`;
    // The console sends the server's default timezone; the rep's own setting must win over it.
    const actor = { ...console(user, 'UTC'), timezoneIsDefault: true };
    expect((await run('timezone', { actor })).text).toMatch(/Your timezone is UTC/);
    const set = await run('timezone europe/berlin', { actor });
    expect(set.tone, set.text).toBe('success');
    expect(set.text).toContain('Europe/Berlin');
    const reminded = await run(`remind ${name} tomorrow 9am plan the visit`, { actor });
    expect((await followUp(numberOf(reminded))).dueAt.toISOString()).toBe('2026-11-24T08:00:00.000Z');
    expect((await run('timezone Mars/Olympus', { actor })).text).toMatch(/not a timezone I know/);
  });

  it('shows the year of a date that is not this year, and refuses far-future and future --at dates', async () => {
    const name = `Yearco${tag()}`;
    await customer(name);
    const december = new Date('2026-12-02T15:00:00Z');
    const nextYear = await run(`remind ${name} 12/1 renew the contract`, { now: december });
    expect(nextYear.text).toContain('1 Dec 2027');
    const far = await run(`remind ${name} in 500 years check in`);
    expect(far.tone).toBe('error');
    expect(far.text).toMatch(/more than 10 years away/);
    const before = await t.db.prisma.communicationRecord.count();
    const future = await run(`log ${name} "Called them" --at "next week"`);
    expect(future.tone).toBe('error');
    expect(future.text).toMatch(/in the future/);
    expect(await t.db.prisma.communicationRecord.count()).toBe(before);
  });

  it('knows eod and Q1', async () => {
    const name = `Eodco${tag()}`;
    await customer(name);
    const eod = await run(`remind ${name} eod send the quote`);
    expect((await followUp(numberOf(eod))).dueAt.toISOString()).toBe('2026-11-23T22:00:00.000Z');
    const q1 = await run(`remind ${name} Q1 renewal call`);
    const f = await followUp(numberOf(q1));
    expect(f.title).toBe('renewal call');
    expect(f.dueAt.toISOString()).toBe('2027-01-01T14:00:00.000Z');
  });

  it('snooze until friday, followups tomorrow / this week, done with several numbers', async () => {
    const name = `Snoozeco${tag()}`;
    await customer(name);
    const user = `dave${tag()}`;
    const as = { actor: console(user) };
    const a = numberOf(await run(`remind ${name} tomorrow 10am first`, as));
    const b = numberOf(await run(`remind ${name} thursday 10am second`, as));
    const c = numberOf(await run(`remind ${name} next tuesday 10am third`, as));
    const snoozed = await run(`snooze ${a} until friday`, as);
    expect(snoozed.tone, snoozed.text).toBe('success');
    expect((await followUp(a)).dueAt.toISOString()).toBe('2026-11-27T14:00:00.000Z');
    const titles = (r: Reply) => (r.sections ?? []).map((s) => s.title).filter(Boolean);
    await run(`due ${a} tomorrow 11am`, as);
    expect(titles(await run('followups tomorrow', as))).toEqual([`#${a} first`]);
    expect(titles(await run('followups this week', as))).toEqual([`#${a} first`, `#${b} second`]);
    expect(titles(await run('followups next week', as))).toEqual([`#${c} third`]);
    const done = await run(`done ${a} ${b}`, as);
    expect(done.tone, done.text).toBe('success');
    expect((await followUp(a)).status).toBe('done');
    expect((await followUp(b)).status).toBe('done');
    // One unknown number does not stop the others, and says which one failed.
    const mixed = await run(`dismiss ${c}, 999999`, as);
    expect(mixed.tone).toBe('warning');
    expect(mixed.text).toMatch(/no follow-up #999999/);
    expect((await followUp(c)).status).toBe('dismissed');
  });

  it('remind with a date and nothing to do asks what to remind about', async () => {
    const name = `Globex${tag()}`;
    await customer(name);
    const before = await t.db.prisma.followUp.count();
    const bare = await run(`remind ${name} tomorrow 9am`);
    expect(bare.tone).toBe('error');
    expect(bare.text).toBe(
      `What should I remind you about? Put it after the date, e.g. remind ${name} tomorrow 9am send the quote.`,
    );
    expect(await t.db.prisma.followUp.count()).toBe(before);
  });

  it('remind and snooze read tonight, and a number after a day as part of the text', async () => {
    const name = `Tonightco${tag()}`;
    await customer(name);
    const tonight = await run(`remind ${name} tonight call back`);
    expect(tonight.tone, tonight.text).toBe('success');
    expect(await followUp(numberOf(tonight))).toMatchObject({ title: 'call back' });
    expect((await followUp(numberOf(tonight))).dueAt.toISOString()).toBe('2026-11-24T01:00:00.000Z'); // 20:00 EST
    const count = await run(`remind ${name} friday 10 licenses quote`);
    const f = await followUp(numberOf(count));
    expect(f.title).toBe('10 licenses quote');
    expect(f.dueAt.toISOString()).toBe('2026-11-27T14:00:00.000Z'); // Friday 09:00
    const snoozed = await run(`snooze ${numberOf(count)} tomorrow evening`);
    expect(snoozed.tone, snoozed.text).toBe('success');
    expect((await followUp(numberOf(count))).dueAt.toISOString()).toBe('2026-11-25T00:00:00.000Z'); // Tue 19:00
  });

  it('remind me to call acme tomorrow', async () => {
    const name = `Callme${tag()}`;
    await customer(`${name} Corp`);
    const reply = await run(`remind me to call ${name} tomorrow`);
    expect(reply.tone, reply.text).toBe('success');
    const f = await t.db.prisma.followUp.findUniqueOrThrow({
      where: { number: numberOf(reply) },
      include: { company: true },
    });
    expect(f.company?.name).toBe(`${name} Corp`);
    expect(f.title).toBe(`call ${name}`);
    expect(f.dueAt.toISOString()).toBe('2026-11-24T14:00:00.000Z');
    const lead = await run(`remind me tomorrow 3pm to send ${name} the deck`);
    expect(lead.tone, lead.text).toBe('success');
    expect((await followUp(numberOf(lead))).title).toBe(`send ${name} the deck`);
    expect((await run('remind me to call nobody-we-know tomorrow')).text).toMatch(/which customer/);
  });

  it('takes options before the text', async () => {
    const name = `Optco${tag()}`;
    await customer(name);
    const reply = await run(`log ${name} --via call "Called Jo, wants a quote"`);
    expect(reply.tone, reply.text).toBe('success');
    const record = await t.db.prisma.communicationRecord.findFirstOrThrow({
      where: { company: { name } },
      include: { messages: true },
    });
    expect(record.channelKind).toBe('call');
    expect(record.messages.map((m) => m.text)).toEqual(['Called Jo, wants a quote']);
    const at = await run(`log ${name} --at "yesterday 3pm" --via meeting Demo went well`);
    expect(at.tone, at.text).toBe('success');
  });

  it('matches a unique prefix without asking, typos and @domain', async () => {
    const t1 = tag();
    await customer(`Zyxwell${t1} Industries`, [`zyxwell${t1}.example`]);
    const reminded = await run(`remind zyxwell${t1} tomorrow send the quote`);
    expect(reminded.tone, reminded.text).toBe('success');
    const logged = await run(`log zyxwell${t1} Called them about the order`);
    expect(logged.tone, logged.text).toBe('success');
    expect(logged.title).toBe(`Logged for Zyxwell${t1} Industries`);
    const typo = await run(`lookup zywell${t1}`);
    expect(typo.title).toBe(`Zyxwell${t1} Industries`);
    const domain = await run(`lookup @zyxwell${t1}.example`);
    expect(domain.title).toBe(`Zyxwell${t1} Industries`);
    // Two customers sharing the prefix still ask.
    const t2 = tag();
    await customer(`Twinco${t2} East`);
    await customer(`Twinco${t2} West`);
    expect((await run(`remind twinco${t2} tomorrow call`)).title).toBe('Which customer?');
  });

  it('assigns to a colleague who has not used Rapport yet', async () => {
    const name = `Assignco${tag()}`;
    await customer(name);
    const number = numberOf(await run(`remind ${name} tomorrow call them`));
    const someone = `erin${tag()}`;
    const reply = await run(`assign ${number} @${someone}`);
    expect(reply.tone, reply.text).toBe('success');
    const rep = await t.db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: `console:${someone}` } } });
    expect((await followUp(number)).assigneeRepId).toBe(rep.id);
    // When that person types their first command, they are the same rep.
    await run('followups', { actor: console(someone) });
    expect(await t.db.prisma.rep.count({ where: { platformUserIds: { has: `console:${someone}` } } })).toBe(1);
    const byEmail = await run(`assign ${number} frank.${someone}@example.com`);
    expect(byEmail.tone, byEmail.text).toBe('success');
    expect(byEmail.text).toMatch(/assigned to frank/);
  });

  it('assigns to Slack escaped mentions, naming unseen people through the platform directory', async () => {
    const name = `Slackco${tag()}`;
    await customer(name);
    const team = `T${tag().toUpperCase()}`;
    const slack = (user: string): Partial<CommandContext> => ({
      actor: { platform: 'slack', platformUserId: `${team}/${user}`, displayName: user, timezone: 'UTC' },
    });
    const asked: string[] = [];
    const people: PeopleDirectory = {
      async describe(platform, platformUserId) {
        asked.push(`${platform}:${platformUserId}`);
        if (platformUserId.endsWith('/U0REP3'))
          return {
            displayName: 'Carla Rep',
            email: `carla.${team.toLowerCase()}@example.com`,
            timezone: 'Europe/Paris',
            standing: 'member',
          };
        // Bob's profile gives no name: the mention's is taken. U0DOWN: the platform cannot say right now.
        return platformUserId.endsWith('/U0REP2') ? { standing: 'member' } : undefined;
      },
    };
    const withPeople = (user: string) => ({ ...slack(user), people });
    const number = numberOf(await run(`remind ${name} tomorrow call them`, slack('U0REP1')));
    const bob = await run(`assign ${number} <@U0REP2|bob>`, withPeople('U0REP1'));
    expect(bob.tone, bob.text).toBe('success');
    const bobRep = await t.db.prisma.rep.findFirstOrThrow({
      where: { platformUserIds: { has: `slack:${team}/U0REP2` } },
    });
    expect(bobRep.name).toBe('bob');
    const carla = await run(`assign ${number} <@U0REP3>`, withPeople('U0REP1'));
    expect(carla.tone, carla.text).toBe('success');
    expect(carla.text).toMatch(/assigned to Carla Rep/);
    expect(asked).toContain(`slack:${team}/U0REP3`);
    // Bob, already known, is found by his id; the directory is still asked whether he is one of ours.
    asked.length = 0;
    expect((await run(`assign ${number} <@U0REP2>`, withPeople('U0REP1'))).text).toMatch(/assigned to bob/);
    expect(asked).toEqual([`slack:${team}/U0REP2`]);
    const down = await run(`assign ${number} <@U0DOWN|dan>`, withPeople('U0REP1'));
    expect(down.text).toMatch(/could not check who that is right now/);
    expect(await t.db.prisma.rep.count({ where: { platformUserIds: { has: `slack:${team}/U0DOWN` } } })).toBe(0);
    // When Bob types his first command he is the same rep.
    await run('followups', slack('U0REP2'));
    expect(await t.db.prisma.rep.count({ where: { platformUserIds: { has: `slack:${team}/U0REP2` } } })).toBe(1);
  });

  it('counts every follow-up and pages the list, the customer card and says "…and N more"', async () => {
    const name = `Manyco${tag()}`;
    const company = await customer(name);
    const rep = await t.db.prisma.rep.create({ data: { name: `many${tag()}`, timezone: 'UTC' } });
    await t.db.prisma.followUp.createMany({
      data: Array.from({ length: 1000 }, (_, i) => ({
        companyId: company.id,
        assigneeRepId: rep.id,
        title: `task ${i}`,
        dueAt: new Date(NOW.getTime() + (i + 1) * 60_000),
        status: 'open' as const,
        source: 'manual' as const,
      })),
    });
    const list = await run(`followups ${name}`);
    expect(list.text).toMatch(/^1,?000 follow-ups; showing 1–25/);
    const more = list.sections!.at(-1)!;
    expect(more.text).toEqual(expect.stringMatching(/^…and 975 more follow-ups\.$/));
    expect(more.buttons?.[0].command).toBe(`followups ${name} page 2`);
    const last = await run(`followups ${name} page 40`);
    expect(last.text).toMatch(/showing 976–1,?000/);
    expect(last.sections).toHaveLength(25);
    const card = await run(`lookup ${name}`);
    expect(card.text).toMatch(/1,?000 open follow-ups/);
    const cardMore = card.sections!.find((s) => s.text?.startsWith('…and'));
    expect(cardMore?.buttons?.[0].command).toBe(`followups ${name}`);
  });

  it('forgetting "Doomed Co" blocks that name exactly, not "Doomed Company"', async () => {
    const base = `Doomed${tag()}`;
    await customer(`${base} Co`);
    const ask = await run(`forget "${base} Co"`);
    const erased = await run(ask.buttons![0].command);
    expect(erased.title).toBe('Customer erased');
    const again = await run(`log "${base} Co." "Called back" --new`);
    expect(again.tone).toBe('error');
    expect(again.text).toMatch(/erased on request/);
    expect(again.text).toMatch(/rapport tombstone remove/);
    const other = await run(`log "${base} Company" "New lead" --new`);
    expect(other.tone, other.text).toBe('success');
  });

  it('an admin removes a tombstone with a command; a rep in chat is refused', async () => {
    const name = `Returning${tag()} Ltd`;
    await customer(name);
    const ask = await run(`forget "${name}"`);
    await run(ask.buttons![0].command);
    expect((await run(`log "${name}" "They are back" --new`)).tone).toBe('error');
    const fromSlack = await run(`tombstone remove "${name}"`, {
      actor: { platform: 'slack', platformUserId: 'T1/U1', displayName: 'u', timezone: 'UTC' },
    });
    expect(fromSlack.tone).toBe('error');
    expect(fromSlack.text).toMatch(/Only a Rapport admin can let an erased customer be recorded again/);
    const removed = await run(`tombstone remove "${name}"`);
    expect(removed.tone, removed.text).toBe('success');
    expect(await t.db.prisma.auditLog.count({ where: { action: 'tombstone.remove' } })).toBeGreaterThan(0);
    expect((await run(`log "${name}" "They are back" --new`)).tone).toBe('success');
    expect((await run(`tombstone remove "${name}"`)).text).toMatch(/No tombstone matches/);
  });
  // Issue 18: a rep in Shanghai who writes Chinese. NOW is Monday 23:00 there.
  const shanghai = (user: string) => ({ actor: console(user, 'Asia/Shanghai') });

  it('remind 华为 下周二 发报价: Chinese dates in the rep’s timezone, Chinese text kept as typed', async () => {
    await customer('华为技术有限公司');
    const as = shanghai(`mei${tag()}`);
    const reply = await run('remind 华为 下周二 发报价', as);
    expect(reply.tone, reply.text).toBe('success');
    expect(reply.text).toBe("I'll remind you about 华为技术有限公司 on Tue 1 Dec, 09:00: 发报价");
    const f = await followUp(numberOf(reply));
    expect(f).toMatchObject({ title: '发报价' });
    expect(f.dueAt.toISOString()).toBe('2026-12-01T01:00:00.000Z'); // Tuesday of next week, 09:00 in Shanghai
    const expected: Array<[string, string, string]> = [
      ['remind 华为 明天上午9点 「给王总打电话」', '2026-11-24T01:00:00.000Z', '给王总打电话'],
      ['remind 华为 3天后 跟进一下', '2026-11-26T01:00:00.000Z', '跟进一下'],
      ['remind 华为 月底 『续约，别忘了』', '2026-11-30T09:00:00.000Z', '续约，别忘了'],
      ['remind 华为 下周二发报价', '2026-12-01T01:00:00.000Z', '发报价'],
      ['remind 华为 “后天下午3点” ＂开会 讨论价格＂', '2026-11-25T07:00:00.000Z', '开会 讨论价格'],
    ];
    for (const [typed, due, title] of expected) {
      const r = await run(typed, as);
      expect(r.tone, `${typed}: ${r.text}`).toBe('success');
      const made = await followUp(numberOf(r));
      expect([made.dueAt.toISOString(), made.title], typed).toEqual([due, title]);
    }
    const snoozed = await run(`snooze ${f.number} 下周三`, as);
    expect(snoozed.tone, snoozed.text).toBe('success');
    expect((await followUp(f.number)).dueAt.toISOString()).toBe('2026-12-02T01:00:00.000Z');
  });

  it('log keeps Chinese notes whole in 「」, “”, ＂＂ quotes, with a Chinese --follow-up', async () => {
    await customer('比亚迪股份有限公司');
    const as = shanghai(`wei${tag()}`);
    const logged = await run('log 比亚迪「客户说价格太高，可能会流失」 --follow-up 明天上午9点', as);
    expect(logged.tone, logged.text).toBe('success');
    expect(logged.title).toBe('Logged for 比亚迪股份有限公司');
    const called = await run('log ＂比亚迪股份有限公司＂ “王总：下个月初 再谈” --via call', as);
    expect(called.tone, called.text).toBe('success');
    const records = await t.db.prisma.communicationRecord.findMany({
      where: { company: { name: '比亚迪股份有限公司' } },
      include: { messages: true, followUps: true },
      orderBy: { createdAt: 'asc' },
    });
    expect(records.map((r) => r.messages.map((m) => m.text))).toEqual([
      ['客户说价格太高，可能会流失'],
      ['王总：下个月初 再谈'],
    ]);
    expect(records[0].followUps.map((x) => x.dueAt.toISOString())).toEqual(['2026-11-24T01:00:00.000Z']);
    const card = await run('lookup 比亚迪', as);
    expect(card.title).toBe('比亚迪股份有限公司');
    expect(card.sections?.map((x) => x.text)).toEqual(expect.arrayContaining(['客户说价格太高，可能会流失']));
  });
  // Issue 18: reps in Berlin, Madrid, Paris, Tokyo, Amsterdam, São Paulo and Moscow type dates in their
  // language. NOW is Monday 16:00 in Berlin (Tuesday 00:00 in Tokyo).
  it('remind <customer> <date in German, Spanish, French, Japanese, Dutch, Portuguese, Russian> <text>', async () => {
    const name = `Mehrsprachig${tag()}`;
    await customer(`${name} GmbH`);
    const expected: Array<[string, string, string, string]> = [
      [
        'Europe/Berlin',
        `remind ${name} nächsten Dienstag Angebot schicken`,
        '2026-12-01T08:00:00.000Z',
        'Angebot schicken',
      ],
      [
        'Europe/Berlin',
        `remind ${name} morgen um 9 Vertrag besprechen`,
        '2026-11-24T08:00:00.000Z',
        'Vertrag besprechen',
      ],
      [
        'Europe/Madrid',
        `remind ${name} el próximo martes enviar la oferta`,
        '2026-12-01T08:00:00.000Z',
        'enviar la oferta',
      ],
      ['Europe/Madrid', `remind ${name} mañana a las 9 llamar a Ana`, '2026-11-24T08:00:00.000Z', 'llamar a Ana'],
      ['Europe/Paris', `remind ${name} demain à 9h envoyer le devis`, '2026-11-24T08:00:00.000Z', 'envoyer le devis'],
      ['Asia/Tokyo', `remind ${name} 明日9時 見積もり送付`, '2026-11-25T00:00:00.000Z', '見積もり送付'],
      ['Asia/Tokyo', `remind ${name} 来週火曜日 電話`, '2026-12-01T00:00:00.000Z', '電話'],
      [
        'Europe/Amsterdam',
        `remind ${name} volgende week dinsdag offerte sturen`,
        '2026-12-01T08:00:00.000Z',
        'offerte sturen',
      ],
      [
        'America/Sao_Paulo',
        `remind ${name} próxima terça enviar proposta`,
        '2026-12-01T12:00:00.000Z',
        'enviar proposta',
      ],
      [
        'Europe/Moscow',
        `remind ${name} в следующий вторник отправить предложение`,
        '2026-12-01T06:00:00.000Z',
        'отправить предложение',
      ],
    ];
    for (const [zone, typed, due, title] of expected) {
      const r = await run(typed, { actor: console(`rep${tag()}`, zone) });
      expect(r.tone, `${typed}: ${r.text}`).toBe('success');
      const made = await followUp(numberOf(r));
      expect([made.dueAt.toISOString(), made.title], typed).toEqual([due, title]);
    }
  });

  it('snooze, due, log --follow-up/--at and followups in German; English words stay English', async () => {
    const name = `Termin${tag()}`;
    await customer(name);
    const as = { actor: console(`jonas${tag()}`, 'Europe/Berlin') };
    const a = numberOf(await run(`remind ${name} morgen um 10 erstes`, as));
    const snoozed = await run(`snooze ${a} übermorgen`, as);
    expect(snoozed.tone, snoozed.text).toBe('success');
    expect((await followUp(a)).dueAt.toISOString()).toBe('2026-11-25T08:00:00.000Z');
    expect((await run(`due ${a} morgen um 11`, as)).tone).toBe('success');
    expect((await followUp(a)).dueAt.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    const titles = (r: Reply) => (r.sections ?? []).map((s) => s.title).filter(Boolean);
    expect(titles(await run('followups morgen', as))).toEqual([`#${a} erstes`]);
    expect(titles(await run('followups nächste Woche', as))).toEqual([]);
    const logged = await run(
      `log ${name} "Kunde will kündigen" --at "gestern um 15 Uhr" --follow-up "nächsten Dienstag"`,
      as,
    );
    expect(logged.tone, logged.text).toBe('success');
    const record = await t.db.prisma.communicationRecord.findFirstOrThrow({
      where: { company: { name } },
      include: { followUps: true, messages: true },
    });
    expect(record.messages[0].sentAt.toISOString()).toBe('2026-11-22T14:00:00.000Z');
    expect(record.followUps.map((f) => f.dueAt.toISOString())).toEqual(['2026-12-01T08:00:00.000Z']);
    expect(titles(await run('followups nächste Woche', as))).toHaveLength(1);
    // "pasado mañana" at the end of a sentence is the day after tomorrow, not "mañana" after a word "pasado".
    const madrid = { actor: console(`ana${tag()}`, 'Europe/Madrid') };
    const llamar = await run(`remind me to llamar a ${name} pasado mañana`, madrid);
    expect(llamar.tone, llamar.text).toBe('success');
    const later = await followUp(numberOf(llamar));
    expect([later.title, later.dueAt.toISOString()]).toEqual([`llamar a ${name}`, '2026-11-25T08:00:00.000Z']);
    const sentence = await run(`remind me to ${name} anrufen morgen um 9`, as);
    expect(sentence.tone, sentence.text).toBe('success');
    const called = await followUp(numberOf(sentence));
    expect([called.title, called.dueAt.toISOString()]).toEqual([`${name} anrufen`, '2026-11-24T08:00:00.000Z']);
    // German and Dutch "do" (Thursday), Portuguese "sex" (Friday): an English reminder keeps them as words.
    const english = await run(`remind ${name} tomorrow 9am do the quote`, { actor: console(`amy${tag()}`) });
    expect(english.tone, english.text).toBe('success');
    expect((await followUp(numberOf(english))).title).toBe('do the quote');
    const refused = await run(`remind ${name} do the quote`, { actor: console(`amy${tag()}`) });
    expect(refused.tone).not.toBe('success');
  });
});
