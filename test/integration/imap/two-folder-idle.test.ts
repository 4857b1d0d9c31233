import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { MailboxSync } from '../../../connectors/imap/mailbox-sync.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { dovecotMailbox, startDovecot, type DovecotServer } from '../../helpers/dovecot.ts';
import { testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { createTestDatabase } from '../../helpers/test-database.ts';

let dovecot: DovecotServer;
let redis: Redis;
beforeAll(async () => {
  dovecot = await startDovecot();
  redis = connectRedis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  redis?.disconnect();
  await dovecot?.stop();
});

describe('two folders under IDLE', () => {
  it('never misses a wake: mail arriving in INBOX and Sent together is logged long before the next poll', async () => {
    const account = await dovecot.addUser();
    const tdb = await createTestDatabase('postgres');
    const client = await dovecot.client(account);
    await client.mailboxCreate('Sent');
    const sync = new MailboxSync(
      // A missed wake would wait pollSeconds: the test's 20 s bound then fails.
      dovecotMailbox(dovecot, account, { folders: ['INBOX', 'Sent'], pollSeconds: 600, createCompanies: 'all' }),
      testSyncDeps(tdb.db, redis),
    );
    try {
      sync.start();
      await waitFor(async () => sync.status.state === 'watching', 15_000, 'first sync');
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 8; i++) {
        // Both folders at once, so one folder's wake lands while the other syncs.
        await Promise.all([
          client.append('INBOX', buildEmail({ from: `c${i}@cust${i}.com`, subject: `Question ${i}` })),
          client.append(
            'Sent',
            buildEmail({ from: 'help@support.example', to: `c${i}@cust${i}.com`, subject: `Answer ${i}` }),
          ),
        ]);
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      }
      await waitFor(async () => (await tdb.db.prisma.message.count()) === 16, 20_000, 'all 16 messages');
      expect(await tdb.db.prisma.message.count({ where: { direction: 'outbound' } })).toBe(8);
    } finally {
      await sync.stop();
      await client.logout().catch(() => undefined);
      await tdb.dispose();
    }
  }, 60_000);
});
