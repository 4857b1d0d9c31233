import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { startPipelineHarness, eventually, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

describe('default channel per mailbox', () => {
  let h: PipelineHarness;
  beforeEach(async () => {
    h = await startPipelineHarness('pglite', {
      settings: { mailboxChannels: { 'support@rapport.test': 'console:support' } },
    });
  });
  afterEach(async () => {
    await h.dispose();
  });

  async function emailFrom(mailbox: string, n: number) {
    const db = h.test.db;
    const company = await db.prisma.company.create({
      data: { name: `Mail Customer ${n}`, normalizedName: `mail customer ${n}`, domains: [`c${n}.test`] },
    });
    const record = await db.prisma.communicationRecord.create({
      data: {
        companyId: company.id,
        channelKind: 'email',
        subject: 'Broken again',
        sourceKey: `email:<root-${n}@c${n}.test>`,
        startedAt: new Date(),
        lastMessageAt: new Date(),
      },
    });
    const message = await db.prisma.message.create({
      data: {
        recordId: record.id,
        externalId: `email:<root-${n}@c${n}.test>`,
        direction: 'inbound',
        authorEmail: `jo@c${n}.test`,
        text: 'The dashboard keeps crashing, we are really unhappy',
        cleanText: 'The dashboard keeps crashing, we are really unhappy',
        sentAt: new Date(),
        metadata: { origin: { mailbox } },
      },
    });
    await h.hooks.recordLogged(record.id, message.id);
    return eventually('the suggestion', async () => db.prisma.followUp.findFirst({ where: { recordId: record.id } }));
  }

  it("sends suggestions for a mailbox's unlinked customers to that mailbox's channel, others to the default", async () => {
    expect((await emailFrom('support@rapport.test', 1)).remindTarget).toBe('console:support');
    expect((await emailFrom('sales@rapport.test', 2)).remindTarget).toBe('console:team');
  });

  it('reads the channel from IMAP_DEFAULT_CHANNEL and rejects a malformed one', () => {
    const base = { IMAP_HOST: 'imap.rapport.test', IMAP_USER: 'support@rapport.test', IMAP_PASSWORD: 'x' };
    expect(loadConfig({ ...base, IMAP_DEFAULT_CHANNEL: 'slack:T1/C2' }).imap[0].defaultChannel).toBe('slack:T1/C2');
    expect(() => loadConfig({ ...base, IMAP_DEFAULT_CHANNEL: '#support' })).toThrow(
      /default channel must look like console:team/,
    );
  });
});
