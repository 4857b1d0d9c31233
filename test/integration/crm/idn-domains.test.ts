import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

// Internationalized domains have one form in Rapport: mail parsing gives a sender's domain in Unicode
// ("bücher.de"), and a rep may type it that way, in capitals, or as IDNA's ASCII ("xn--bcher-kva.de").
// On the code before, a typed Unicode domain did not look like a domain at all (lookup, erase by
// domain found nothing) and a typed ASCII form never met the mailbox's Unicode one.
describe.each(TEST_DATABASE_KINDS)('internationalized domains (%s)', (kind) => {
  let t: TestDatabase;
  const ctx = (): CommandContext => ({
    actor: { platform: 'console', platformUserId: 'ines', displayName: 'Ines', timezone: 'Europe/Berlin' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: new Date('2026-12-01T10:00:00Z'),
    requestKey: randomUUID(),
  });
  const names = async (typed: string) => (await lookupCustomer(t.db, typed)).map((m) => m.companyName);

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('a customer logged from an address on a Unicode domain is found by every way of writing it', async () => {
    const reply = await executeCommand('log jo@xn--bcher-kva.de "Wants a quote for 40 licences" --new', ctx(), {
      db: t.db,
      hooks: noopPipelineHooks,
    });
    expect(reply.tone, reply.text).not.toBe('error');
    const [company] = await t.db.sql.query<{ name: string; domains: string[] }>(
      `SELECT c.name, c.domains FROM "Company" c JOIN "Contact" ct ON ct."companyId" = c.id
        WHERE 'jo@bücher.de' = ANY(ct.emails)`,
    );
    expect(company.domains).toEqual(['bücher.de']);
    for (const typed of ['bücher.de', 'BÜCHER.DE', 'xn--bcher-kva.de', '@bücher.de', 'https://www.bücher.de/kontakt'])
      expect(await names(typed), typed).toEqual([company.name]);
    expect(await names('jo@BÜCHER.de')).toEqual([company.name]);
    expect(await names('jo@xn--bcher-kva.de')).toEqual([company.name]);
  });

  it('a domain stored in its ASCII form before (typed by a rep) is still found by its Unicode form', async () => {
    await t.db.prisma.company.create({
      data: {
        name: 'Münchner Werke',
        normalizedName: normalizeCompanyName('Münchner Werke'),
        domains: ['xn--mnchen-3ya.de'],
      },
    });
    expect(await names('münchen.de')).toEqual(['Münchner Werke']);
    expect(await names('xn--mnchen-3ya.de')).toEqual(['Münchner Werke']);
  });
});
