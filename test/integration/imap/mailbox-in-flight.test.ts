import { describe, expect, it } from 'vitest';
import { claimMailboxInFlight, releaseMailboxInFlight } from '../../../src/db/mailbox-in-flight.repository.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

describe.each(TEST_DATABASE_KINDS)('the in-flight claim of a folder (%s)', (kind) => {
  it('counts a death only for a claim another run left at the same cursor, and none once released', async () => {
    const t = await createTestDatabase(kind);
    try {
      const key = { mailbox: 'support@support.example', folder: 'INBOX' };
      const claim = (run: string, from: number) => claimMailboxInFlight(t.db.sql, key, run, from);
      expect(await claim('a', 10)).toBe(0);
      // The same run again (a reconnect after an error): no death.
      expect(await claim('a', 10)).toBe(0);
      // Run a died at cursor 10: b counts one, c two, and they stay with the claim of their own run.
      expect(await claim('b', 10)).toBe(1);
      expect(await claim('c', 10)).toBe(2);
      expect(await claim('c', 10)).toBe(2);
      // c moved the cursor on before it died: the count starts again there.
      expect(await claim('d', 12)).toBe(1);
      // d ended its pass: the next run counts nothing.
      await releaseMailboxInFlight(t.db.sql, key, 'd');
      expect(await claim('e', 12)).toBe(0);
      // A release by a run that no longer holds the claim changes nothing.
      await releaseMailboxInFlight(t.db.sql, key, 'd');
      expect(await claim('f', 12)).toBe(1);
      // Another folder has its own claim.
      expect(await claimMailboxInFlight(t.db.sql, { ...key, folder: 'Sent' }, 'g', 12)).toBe(0);
    } finally {
      await t.dispose();
    }
  });
});
