import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { buildDigest } from '../../../src/notifications/digest.notification.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';

// "Due today" is the team's local day, midnight to midnight: 25 hours on the day the clocks go back,
// 23 on the day they go forward (it was 24 hours from midnight, so those days lost or borrowed an hour).
describe('the daily digest on the days the clocks change', () => {
  let t: TestDatabase;
  let companyId: string;
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
    const co = await t.db.prisma.company.create({
      data: { name: 'Clockwork Ltd', normalizedName: normalizeCompanyName('Clockwork Ltd') },
    });
    companyId = co.id;
    await t.db.prisma.teamChannel.create({ data: { companyId, platform: 'console', channelRef: 'clocks' } });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const dueAt = async (iso: string, title: string) =>
    t.db.prisma.followUp.create({
      data: { companyId, title, dueAt: new Date(iso), status: 'open', source: 'manual' },
    });
  const titlesDueToday = async (now: string) => {
    const digest = await buildDigest(t.db, 'console:clocks', 'America/New_York', new Date(now));
    const sections = digest.sections ?? [];
    const start = sections.findIndex((s) => s.title?.startsWith('Due today'));
    if (start < 0) return [];
    const end = sections.findIndex((s, i) => i > start && s.title !== undefined && !s.title.startsWith('#'));
    return sections
      .slice(start + 1, end < 0 ? undefined : end)
      .map((s) => s.title ?? '')
      .filter((title) => title.includes('clock'));
  };

  it('counts a follow-up due late on the 25-hour day, and not one due just after midnight after the 23-hour day', async () => {
    // Sun 1 Nov 2026, New York falls back at 02:00: 23:30 EST that day is 04:30Z on 2 Nov.
    await dueAt('2026-11-02T04:30:00Z', 'call late on the fall-back clock day');
    // Mon 15 Mar 2027 00:30 EDT (04:30Z), the day after spring-forward: not due on Sunday.
    await dueAt('2027-03-15T04:30:00Z', 'just after midnight, the day after the spring-forward clock change');
    expect(await titlesDueToday('2026-11-01T14:00:00Z')).toEqual([
      expect.stringContaining('call late on the fall-back clock day'),
    ]);
    expect(await titlesDueToday('2027-03-14T13:00:00Z')).toEqual([]);
    expect(await titlesDueToday('2027-03-15T13:00:00Z')).toEqual([
      expect.stringContaining('just after midnight, the day after the spring-forward clock change'),
    ]);
  });
});
