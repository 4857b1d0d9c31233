import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedHistory, writeHistory } from '../../../bench/insights-history.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { rebuildInsightRollups } from '../../../src/db/insight-rollups.repository.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

// The review: the longer a customer was silent, the healthier they looked (silent 20 days: +15; silent
// 63 days after writing every 3 days: not scored, "Health 100/100 (nothing to score)"; over 7 days the
// silence reason could never fire), and one negative message made "recent messages are negative".

const NOW = new Date('2026-11-30T15:00:00Z'); // a Monday
const MIDNIGHT = new Date('2026-11-30T00:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};

/** Customers and their conversations: each an inbound message (with its sentiment) answered an hour later. */
function history(customers: { name: string; daysAgo: number[]; sentiment?: number }[]): {
  h: GeneratedHistory;
  ids: Map<string, string>;
} {
  const h: GeneratedHistory = { companies: [], records: [], messages: [], classifications: [], followUps: [] };
  const ids = new Map<string, string>();
  for (const c of customers) {
    const companyId = randomUUID();
    ids.set(c.name, companyId);
    h.companies.push({ id: companyId, name: c.name, willChurn: false });
    for (const d of c.daysAgo) {
      const at = new Date(NOW.getTime() - d * DAY);
      const recordId = randomUUID();
      h.records.push({
        id: recordId,
        companyId,
        channelKind: 'email',
        subject: 'Weekly order update',
        startedAt: at,
        lastMessageAt: new Date(at.getTime() + HOUR),
      });
      const inbound = randomUUID();
      h.messages.push(
        {
          id: inbound,
          recordId,
          direction: 'inbound',
          authorName: `Contact of ${c.name}`,
          authorEmail: 'bob@customer.example',
          text: 'Weekly order update',
          sentAt: at,
        },
        {
          id: randomUUID(),
          recordId,
          direction: 'outbound',
          authorName: 'Ann Rep',
          authorEmail: 'ann@ours.example',
          text: 'Thanks, noted.',
          sentAt: new Date(at.getTime() + HOUR),
        },
      );
      h.classifications.push({ recordId, messageId: inbound, label: 'need', sentiment: c.sentiment ?? 0 });
    }
  }
  return { h, ids };
}

const every3Days = (from: number, to: number) => {
  const days: number[] = [];
  for (let d = from; d >= to; d -= 3) days.push(d);
  return days;
};

describe.each(TEST_DATABASE_KINDS)('customer health on %s: silence and the negative mood', (kind) => {
  let t: TestDatabase;
  let ids: Map<string, string>;
  const ctx = {
    actor: { platform: 'console' as const, platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' },
    now: NOW,
  };
  const hooks = { recordLogged: async () => {}, followUpChanged: async () => {} };
  const card = async (name: string) => {
    const reply = await executeCommand(`insights "${name}"`, ctx, { db: t.db, hooks, insights: SETTINGS });
    return {
      health: reply.fields?.find((f) => f.label === 'Health')?.value,
      reasons: (reply.sections ?? []).map((s) => s.text),
    };
  };
  const health = (since: string, names: string[]) =>
    healthInsight(t.db, parseInsightsPeriod(since, NOW), SETTINGS, { companyIds: names.map((n) => ids.get(n)!) });
  const SILENT = ['Quiet Co', 'Gone Co', 'Ancient Co', 'Never Co'];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const built = history([
      { name: 'Quiet Co', daysAgo: every3Days(50, 20) }, // last wrote 20 days ago
      { name: 'Gone Co', daysAgo: every3Days(90, 63) }, // last wrote 63 days ago (28 Sep)
      { name: 'Ancient Co', daysAgo: every3Days(260, 200) }, // beyond the 180-day horizon
      { name: 'Never Co', daysAgo: [] },
      { name: 'One Cross Co', daysAgo: [2], sentiment: -0.6 },
      { name: 'Three Cross Co', daysAgo: [1, 2, 3], sentiment: -0.5 },
    ]);
    ids = built.ids;
    // A rep's note about Gone Co 5 days ago ("chased again, no answer") is not contact with the customer.
    const note = { record: randomUUID(), message: randomUUID(), at: new Date(NOW.getTime() - 5 * DAY) };
    built.h.records.push({
      id: note.record,
      companyId: ids.get('Gone Co')!,
      channelKind: 'note',
      subject: 'Chased Gone Co again, no answer',
      startedAt: note.at,
      lastMessageAt: note.at,
    });
    built.h.messages.push({
      id: note.message,
      recordId: note.record,
      direction: 'internal' as 'inbound', // the generator's type knows customers' and reps' mail only
      authorName: 'Ann Rep',
      authorEmail: 'ann@ours.example',
      text: 'Chased Gone Co again, no answer',
      sentAt: note.at,
    });
    built.h.classifications.push({ recordId: note.record, messageId: note.message, label: 'other', sentiment: 0 });
    await writeHistory(t.db, built.h);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('scores a customer silent longer than the period for silence (30d and 7d), never healthier than one silent 20 days', async () => {
    for (const since of ['30d', '7d']) {
      const scored = await health(since, SILENT);
      const byName = new Map(scored.customers.map((c) => [c.name, c]));
      // Nothing in the last 180 days (or ever): not scored, not listed as healthy.
      expect([...byName.keys()].sort(), since).toEqual(['Gone Co', 'Quiet Co']);
      const gone = byName.get('Gone Co')!;
      const quiet = byName.get('Quiet Co')!;
      expect(
        gone.reasons.map((r) => [r.code, r.points, r.text]),
        since,
      ).toEqual([['silence', 15, 'no contact since 28 Sep 2026: no message or logged call for 63 days']]);
      expect(quiet.reasons.map((r) => [r.code, r.points, r.text])).toEqual([
        ['silence', 15, 'no contact since 10 Nov 2026: no message or logged call for 20 days'],
      ]);
      expect(gone.health).toBeLessThanOrEqual(quiet.health);
    }
  });

  it('the insights card says "no contact since" for a silent customer and never 100/100 for one without contact', async () => {
    expect(await card('Gone Co')).toEqual({
      health: '85/100 (no contact since 28 Sep 2026)',
      reasons: ['+15 risk: no contact since 28 Sep 2026: no message or logged call for 63 days'],
    });
    for (const name of ['Ancient Co', 'Never Co'])
      expect((await card(name)).health).toBe(
        'not scored: no message or logged call in the last 180 days and no overdue follow-up',
      );
  });

  it('calls recent messages negative only from 3 messages on, and says how many', async () => {
    const scored = await health('30d', ['One Cross Co', 'Three Cross Co']);
    const reasons = (name: string) => scored.customers.find((c) => c.name === name)?.reasons ?? [];
    expect(reasons('One Cross Co')).toEqual([]);
    expect(reasons('Three Cross Co').map((r) => [r.code, r.points, r.text])).toEqual([
      ['negative-sentiment', 10, 'recent messages are negative (mean sentiment -0.50 over 3 messages)'],
    ]);
    expect(await card('One Cross Co')).toEqual({ health: '100/100', reasons: [] });
    expect(await card('Three Cross Co')).toEqual({
      health: '90/100',
      reasons: ['+10 risk: recent messages are negative (mean sentiment -0.50 over 3 messages)'],
    });
  });

  it('gives the same scores from the daily rollups as from the messages', async () => {
    const names = [...SILENT, 'One Cross Co', 'Three Cross Co'];
    const before = [await health('30d', names), await health('7d', names)];
    await rebuildInsightRollups(t.db, MIDNIGHT, SETTINGS.businessHours);
    const after = [await health('30d', names), await health('7d', names)];
    expect(after).toEqual(before);
    expect(after[1].customers.map((c) => [c.name, c.risk])).toEqual([
      ['Gone Co', 15],
      ['Quiet Co', 15],
      ['Three Cross Co', 10],
      ['One Cross Co', 0],
    ]);
  });
});
