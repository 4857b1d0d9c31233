import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { buildDigest } from '../../../src/notifications/digest.notification.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { strangerMail } from '../../helpers/unconfirmed-mail.ts';

// `senders` and `make customer` in chat: the team sees who wrote to the support inbox and is nobody's
// customer yet, and makes them customers with the button (in the list and in the daily digest), which
// runs `make customer` as whoever clicks it.
describe.each(TEST_DATABASE_KINDS)('senders and make customer as chat commands on %s', (kind) => {
  let t: TestDatabase;
  let key = 0;
  const ctx = (over: Partial<CommandContext['actor']> = {}): CommandContext => ({
    actor: { platform: 'slack', platformUserId: 'T1/U1', displayName: 'Alice', timezone: 'UTC', ...over },
    channel: { platform: 'slack', channelRef: 'T1/C1', target: 'slack:T1/C1' },
    now: new Date('2026-12-05T09:00:00Z'),
    requestKey: `senders-${kind}-${key++}`,
  });
  const run = (text: string, over: Partial<CommandContext['actor']> = {}): Promise<Reply> =>
    executeCommand(text, ctx(over), { db: t.db, hooks: noopPipelineHooks });
  const buttons = (r: Reply) => (r.sections ?? []).flatMap((s) => (s.buttons ?? []).map((b) => b.command));

  // A database per test: each counts the senders waiting, and CI runs the tests in any order.
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await t?.dispose();
  });

  it('lists them newest first, ten a page, each with a Make customer button; the button makes the customer', async () => {
    expect((await run('senders')).text).toMatch(/^Nobody is waiting/);
    for (let i = 0; i < 12; i++)
      await strangerMail(
        t.db,
        `info@vendor-${i}.example`,
        `Catalogue ${i}`,
        `2026-12-0${1 + (i % 4)}T${10 + i}:00:00Z`,
      );
    await strangerMail(t.db, 'jo.baker@gmail.com', 'Order for 40 cakes', '2026-12-04T23:00:00Z');

    const first = await run('senders');
    expect(first.text).toBe(
      '13 sender(s) wrote without becoming customers, newest first (1-10, page 1 of 2). Answering one makes them a customer; so does Make customer.',
    );
    expect(first.sections?.[0]).toEqual({
      text: 'jo.baker@gmail.com: 1 person, 1 conversation, "Order for 40 cakes"',
      buttons: [
        {
          label: 'Make customer',
          command: 'make customer jo.baker@gmail.com',
          style: 'primary',
          confirm:
            'Make jo.baker@gmail.com a customer? Their conversations move to it and their new mail gets follow-up suggestions.',
        },
      ],
    });
    expect(first.buttons).toEqual([{ label: 'Next page', command: 'senders page 2' }]);
    const second = await run('senders page 2');
    expect(second.sections).toHaveLength(3);
    expect(second.buttons).toBeUndefined();
    expect(new Set([...buttons(first), ...buttons(second)]).size).toBe(13);
    const beyond = await run('senders page 3');
    expect(beyond).toMatchObject({ tone: 'error', text: 'There are 2 pages of senders; try senders page 2.' });

    // The click runs the button's command as the clicker; a free-mail sender's company takes the
    // contact's name (here the address the helper gives them).
    const made = await run(buttons(first)[0]);
    expect(made).toMatchObject({
      tone: 'success',
      text: 'Created customer jo.baker@gmail.com: 1 contact and 1 conversation moved to it; their new mail gets follow-up suggestions.',
    });
    const company = await t.db.prisma.company.findFirstOrThrow({ where: { name: 'jo.baker@gmail.com' } });
    const record = await t.db.prisma.communicationRecord.findFirstOrThrow({ where: { subject: 'Order for 40 cakes' } });
    expect(record.companyId).toBe(company.id);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'customer.confirm', subject: company.id } })).toBe(1);
    expect((await run('senders')).text).toMatch(/^12 sender\(s\)/);

    // A second click (a colleague was faster) says so instead of failing obscurely.
    expect(await run('make customer jo.baker@gmail.com')).toMatchObject({
      tone: 'error',
      errorCode: 'not_found',
      text: 'Nobody at jo.baker@gmail.com is waiting to become a customer: someone made them one already, or their mail was erased. Type senders for the list.',
    });
  });

  it('takes a whole domain with a chosen name, typed as links, and explains bad input', async () => {
    await strangerMail(t.db, 'sales@northwind.example', 'Prices', '2026-12-04T10:00:00Z');
    await strangerMail(t.db, 'ops@northwind.example', 'Delivery', '2026-12-04T11:00:00Z');
    const made = await run('make customer https://northwind.example/ --name "Northwind Traders"');
    expect(made.text).toBe(
      'Created customer Northwind Traders: 2 contacts and 2 conversations moved to it; their new mail gets follow-up suggestions.',
    );
    expect(await t.db.prisma.company.findFirstOrThrow({ where: { name: 'Northwind Traders' } })).toMatchObject({
      domains: ['northwind.example'],
    });

    await strangerMail(t.db, 'ana@proton.me', 'Quote please', '2026-12-04T12:00:00Z');
    expect((await run('make customer mailto:ana@proton.me')).tone).toBe('success');

    expect(await run('make customer 192.168.1.20')).toMatchObject({
      tone: 'error',
      errorCode: 'invalid_input',
      text: '"192.168.1.20" is neither a company domain nor an email address; try make customer acme.com or make customer jo@gmail.com.',
    });
    expect(await run('make acme.com')).toMatchObject({
      tone: 'error',
      text: 'Usage: make customer <domain or email> [--name <company name>]',
    });
  });

  it('refuses outsiders (Slack Connect, guests) and erased senders, and changes nothing', async () => {
    await strangerMail(t.db, 'buyer@initrode.example', 'Tender', '2026-12-04T13:00:00Z');
    for (const standing of ['external', 'guest'] as const) {
      const r = await run('make customer initrode.example', { platformUserId: `T2/U${standing}`, standing });
      expect(r.tone).toBe('error');
      expect((await run('senders', { platformUserId: `T2/U${standing}`, standing })).tone).toBe('error');
    }
    expect(await t.db.prisma.company.count({ where: { domains: { has: 'initrode.example' } } })).toBe(0);

    // Erased while still unconfirmed: the tombstone wins over the button in an older digest.
    await strangerMail(t.db, 'gone@forgotten.example', 'Hello', '2026-12-04T14:00:00Z');
    const made = await run('make customer forgotten.example');
    expect(made.tone).toBe('success');
    const company = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'forgotten.example' } } });
    await eraseCustomer(t.db, company.id, { repId: 'admin', platform: 'console' });
    await strangerMail(t.db, 'again@forgotten.example', 'Hello again', '2026-12-04T15:00:00Z');
    expect(await run('make customer forgotten.example')).toMatchObject({ tone: 'error' });
    expect(await t.db.prisma.company.count({ where: { domains: { has: 'forgotten.example' } } })).toBe(0);
  });

  it("puts the button on the digest's senders", async () => {
    await strangerMail(t.db, 'hello@fresh-lead.example', 'Demo request', '2026-12-05T08:00:00Z');
    const digest = await buildDigest(t.db, 'slack:T1/C1', 'UTC', new Date('2026-12-05T09:00:00Z'));
    const section = digest.sections?.find((s) => s.text?.startsWith('fresh-lead.example'));
    expect(section?.buttons?.map((b) => b.command)).toEqual(['make customer fresh-lead.example']);
    expect((await run(section!.buttons![0].command)).tone).toBe('success');
  });
});
