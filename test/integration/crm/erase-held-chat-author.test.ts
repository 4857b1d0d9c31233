import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackHeldAuthors } from '../../../connectors/slack/slack-held-authors.ts';
import type { SlackUserDirectory, SlackUserProfile } from '../../../connectors/slack/slack-user-directory.ts';
import { normalizeCompanyName, normalizePersonName } from '../../../src/domain/normalize-company-name.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import {
  decideHeldMessages,
  findHeldAuthor,
  listHeldAuthors,
  retryHeldAuthor,
} from '../../../src/services/held-chat-messages.service.ts';
import { logChatMessage } from '../../../src/services/log-chat-message.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { everyRow } from '../../helpers/every-row.ts';

/**
 * A chat message whose author Slack or Teams could not name is held with no contact and no address,
 * only the author's platform id (`metadata.author`, `metadata.heldAuthor`). When an erased customer's
 * person wrote one in another customer's channel, erasing must strike it, and the held-author decision
 * (once the platform names them) must not bring them back as a new contact with a new card.
 */
describe.each(TEST_DATABASE_KINDS)('erasing a held chat author (%s)', (kind) => {
  let t: TestDatabase;
  let queued: string[] = [];
  const hooks: PipelineHooks = {
    async recordLogged(_recordId, messageId) {
      queued.push(`logged:${messageId}`);
    },
    async followUpChanged() {},
    async messageEdited(_recordId, messageId) {
      queued.push(`edited:${messageId}`);
    },
  };
  let seq = 0;
  const company = async (name: string, domains: string[]) =>
    (await t.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains } })).id;
  /** A message Slack could not name the author of, in `channel` (T1/<channel>), as the Slack auto-logger holds it. */
  const hold = async (companyId: string, channel: string, user: string, text: string) => {
    const ts = `1763900000.${String(++seq).padStart(6, '0')}`;
    const outcome = await logChatMessage(
      t.db,
      {
        platform: 'slack',
        channelRef: `T1/${channel}`,
        threadKey: ts,
        messageKey: ts,
        author: { platformUserId: `T1/${user}`, isBot: false },
        direction: 'unknown',
        text,
        sentAt: new Date('2026-11-22T10:00:00Z'),
        companyId,
        metadata: {
          slack: { team: 'T1', channel, ts },
          heldBecause: 'Slack could not say who wrote this message yet (users.info failed).',
          heldAuthor: { channelRef: `T1/${channel}`, team: 'T1', user },
        },
      },
      hooks,
    );
    if (outcome.status !== 'logged') throw new Error(outcome.status);
    return outcome.messageId;
  };
  /** users.info now answers: a guest of our workspace (the customer's side). */
  const slackNowSays = (profile: Partial<SlackUserProfile>) =>
    slackHeldAuthors({
      db: t.db,
      users: {
        get: async () => ({ teamId: 'T1', isBot: false, isGuest: true, ...profile }) as SlackUserProfile,
      } as unknown as SlackUserDirectory,
    });
  const contactsOf = (email: string, platformUserId: string) =>
    t.db.prisma.contact.count({
      where: { OR: [{ emails: { has: email } }, { platformUserIds: { has: platformUserId } }] },
    });

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("strikes their held message in another customer's channel, and their held author is decided into nothing", async () => {
    const paulsen = await company('Paulsen Partners', ['paulsen.example']);
    const bravo = await company('Bravo Widgets', ['bravo.example']);
    // Petra writes in her company's channel, known (her contact holds her Slack id and address)...
    const known = await logChatMessage(
      t.db,
      {
        platform: 'slack',
        channelRef: 'T1/CPAULSEN',
        threadKey: '1763800000.000001',
        messageKey: '1763800000.000001',
        author: { platformUserId: 'T1/UPETRA', name: 'Petra Paulsen', email: 'petra@paulsen.example', isBot: false },
        direction: 'inbound',
        text: 'Hello from Paulsen',
        sentAt: new Date('2026-11-21T10:00:00Z'),
        companyId: paulsen,
      },
      hooks,
    );
    expect(known.status).toBe('logged');
    // ...and in Bravo's shared channel while users.info failed: held, no contact, no address.
    const heldId = await hold(bravo, 'CBRAVO', 'UPETRA', 'Xylophonic roadmap leak: we plan to drop Bravo next quarter');
    expect(
      await findHeldAuthor(t.db, { platform: 'slack', channelRef: 'T1/CBRAVO', authorKey: 'slack:T1/UPETRA' }),
    ).toBeDefined();

    await eraseCustomer(t.db, paulsen, { repId: 'admin', platform: 'console' });
    queued = []; // (logging queues a job for every message; a held one is skipped by it)

    // The held message is struck like her own message in another customer's thread: no words, no ids.
    const held = await t.db.prisma.message.findUniqueOrThrow({ where: { id: heldId } });
    expect(held).toMatchObject({ text: '[erased]', cleanText: '[erased]', contactId: null, authorEmail: null });
    expect(held.metadata).not.toHaveProperty('author');
    expect(held.metadata).not.toHaveProperty('heldAuthor');
    const rows = await everyRow(t.db);
    for (const trace of ['xylophonic', 'upetra', 'petra', 'paulsen']) expect(rows).not.toContain(trace);
    // Nothing is held any more, so the sweep asks nobody about her...
    expect(await listHeldAuthors(t.db, { since: new Date(0), limit: 100 })).toEqual([]);
    // ...and the held-author job, with Slack now naming her, decides nothing and makes no contact.
    const outcome = await retryHeldAuthor(
      t.db,
      { platform: 'slack', channelRef: 'T1/CBRAVO', authorKey: 'slack:T1/UPETRA' },
      slackNowSays({ name: 'Petra Paulsen', email: 'petra@paulsen.example' }),
      hooks,
    );
    expect(outcome).toEqual({ status: 'none-held' });
    expect(await contactsOf('petra@paulsen.example', 'slack:T1/UPETRA')).toBe(0);
    expect(queued).toEqual([]);
  });

  it('an erased person known only by address: their held author is struck when the platform names them', async () => {
    const pia = await company('Pia Holdings', ['piaholdings.example']);
    const bravo = await company('Bravo Gears', ['bravogears.example']);
    // Her contact was made from mail: an address, no Slack id.
    await t.db.prisma.contact.create({
      data: {
        companyId: pia,
        name: 'Pia Lindqvist',
        normalizedName: normalizePersonName('Pia Lindqvist'),
        emails: ['pia@piaholdings.example'],
        phones: [],
        platformUserIds: [],
      },
    });
    const first = await hold(bravo, 'CGEARS', 'UPIA', 'Quixotic pricing memo, keep it between us');
    const second = await hold(bravo, 'CGEARS', 'UPIA', 'Quixotic follow-up: ignore my last');
    await eraseCustomer(t.db, pia, { repId: 'admin', platform: 'console' });
    queued = []; // (logging queues a job for every message; a held one is skipped by it)
    // Nothing linked her Slack id to the erased customer: her held words are still there (held)...
    expect((await t.db.prisma.message.findUniqueOrThrow({ where: { id: first } })).text).toContain('Quixotic');

    // ...until Slack names her, with her erased address: struck, not decided.
    const key = { platform: 'slack' as const, channelRef: 'T1/CGEARS', authorKey: 'slack:T1/UPIA' };
    const outcome = await retryHeldAuthor(
      t.db,
      key,
      slackNowSays({ name: 'Pia Lindqvist', email: 'Pia@PiaHoldings.example' }),
      hooks,
    );
    expect(outcome).toEqual({ status: 'decided', direction: 'inbound', decided: 0 });
    for (const id of [first, second]) {
      const m = await t.db.prisma.message.findUniqueOrThrow({ where: { id } });
      expect(m).toMatchObject({ text: '[erased]', cleanText: '[erased]', contactId: null, authorEmail: null });
      expect(m.metadata).toMatchObject({ erased: 'author' });
      expect(m.metadata).not.toHaveProperty('heldAuthor');
    }
    expect(await contactsOf('pia@piaholdings.example', 'slack:T1/UPIA')).toBe(0);
    expect(queued).toEqual([]);
    const rows = await everyRow(t.db);
    for (const trace of ['quixotic', 'upia', 'lindqvist', 'piaholdings']) expect(rows).not.toContain(trace);
    expect(await t.db.prisma.auditLog.count({ where: { action: 'message.held_author_erased' } })).toBe(1);
    // A decision straight from a connector (the author wrote again) is refused the same way.
    expect(
      await decideHeldMessages(
        t.db,
        {
          ...key,
          decision: { direction: 'inbound', email: 'pia@piaholdings.example', contactCompanyId: bravo },
        },
        hooks,
      ),
    ).toBe(0);
    expect(await contactsOf('pia@piaholdings.example', 'slack:T1/UPIA')).toBe(0);
  });
});
