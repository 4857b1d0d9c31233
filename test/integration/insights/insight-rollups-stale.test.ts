import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertClassifications } from '../../../src/db/classification.repository.ts';
import { rebuildInsightRollups } from '../../../src/db/insight-rollups.repository.ts';
import { customerSignals, inboundCountsByLabel, inboundTexts } from '../../../src/db/insights.repository.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { SILENCE_HORIZON_DAYS } from '../../../src/insights/health-score.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { satisfactionInsight } from '../../../src/insights/satisfaction.service.ts';
import { correctLabel } from '../../../src/services/correct-label.service.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { deleteChatMessage, editChatMessage, logChatMessage } from '../../../src/services/log-chat-message.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { holdRows, waitForLockWaiters } from '../../helpers/lock-waiters.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const NOW = new Date('2026-11-30T15:07:00Z');
const DAY = 86_400_000;
/** The coverage the refresh-insights job gives rollups built on NOW's day: every day before it. */
const MIDNIGHT = new Date(Math.floor(NOW.getTime() / DAY) * DAY);
const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};
const PERIOD = parseInsightsPeriod('30d', NOW);
const ADMIN = { repId: 'ann', platform: 'console' } as const;

/** Floats rounded to 9 places: sums over days add in another order than over messages. */
const rounded = <T>(v: T): T =>
  JSON.parse(JSON.stringify(v), (_k, x) => (typeof x === 'number' ? Math.round(x * 1e9) / 1e9 : x));

/**
 * The daily rollups (InsightDaily, InsightRecordDaily) hold whole days of labels and sentiment, rebuilt
 * by the refresh-insights job every 15 minutes. A rep's correction, a platform edit or delete and an
 * erasure change what they summed: what a manager sees right after (no rebuild in between, or the job
 * not running at all) is what the messages say now (README, "Insights").
 */
describe.each(TEST_DATABASE_KINDS)('insights right after a change to rolled-up days (%s)', (kind) => {
  let t: TestDatabase;
  let n = 0;

  beforeEach(async () => {
    t = await createTestDatabase(kind);
  }, 60_000);
  afterEach(async () => {
    await t?.dispose();
  });

  async function company(name: string, domain: string): Promise<string> {
    const c = await t.db.prisma.company.create({
      data: { name, normalizedName: normalizeCompanyName(name), domains: [domain] },
    });
    return c.id;
  }

  /**
   * A Slack message by `author` (a contact of `author.companyId`) in `companyId`'s channel, `daysAgo`
   * days before NOW, classified as the classify job stores it.
   */
  async function said(
    at: { companyId: string; channel: string; thread?: string },
    author: { name: string; email: string; companyId: string },
    text: string,
    c: { daysAgo: number; label: string; sentiment: number | null },
  ) {
    const ts = `${1764000000 + n++}.000100`;
    const o = await logChatMessage(
      t.db,
      {
        platform: 'slack',
        channelRef: `T1/${at.channel}`,
        threadKey: at.thread ?? ts,
        messageKey: ts,
        author: {
          platformUserId: `T1/U${author.name.replace(/\W/g, '')}`,
          name: author.name,
          email: author.email,
          isBot: false,
        },
        direction: 'inbound',
        text,
        sentAt: new Date(NOW.getTime() - c.daysAgo * DAY + n * 60_000),
        companyId: at.companyId,
        contactCompanyId: author.companyId,
      },
      noopPipelineHooks,
    );
    if (o.status !== 'logged') throw new Error(o.status);
    await classify(o.recordId, o.messageId, at.companyId, c);
    return { recordId: o.recordId, messageId: o.messageId, ts, channel: at.channel };
  }

  async function classify(
    recordId: string,
    messageId: string,
    companyId: string,
    c: { label: string; sentiment: number | null },
  ): Promise<void> {
    await insertClassifications(t.db.sql, [
      {
        classification: {
          recordId,
          messageId,
          companyId,
          assigneeRepId: null,
          label: c.label,
          confidence: 0.9,
          scores: { [c.label]: 0.9 },
          sentiment: c.sentiment,
          entities: [],
          modelVersion: 'test',
        },
      },
    ]);
  }

  const rebuild = () => rebuildInsightRollups(t.db, MIDNIGHT, SETTINGS.businessHours);

  /** The label and sentiment figures of these customers that the rollups feed, as a manager reads them. */
  async function figures(companyIds: string[]) {
    const health = await healthInsight(t.db, PERIOD, SETTINGS, { companyIds });
    return rounded({
      // Reasons from labels and sentiment (waiting turns come from the stored turns, not these rollups).
      reasons: health.customers.map((c) => ({
        name: c.name,
        reasons: c.reasons.map((r) => r.text).filter((r) => !r.includes('waiting')),
      })),
      signals: await customerSignals(t.db.sql, {
        ...PERIOD,
        now: NOW,
        horizon: new Date(PERIOD.to.getTime() - SILENCE_HORIZON_DAYS * 86_400_000),
        companyIds,
      }),
      satisfaction: (await satisfactionInsight(t.db, PERIOD, { by: 'customer', companyIds })).series.map((s) => ({
        group: s.group,
        mean: s.mean,
        n: s.n,
      })),
      byLabel: (await satisfactionInsight(t.db, PERIOD, { by: 'label', companyIds })).series.map((s) => ({
        group: s.group,
        mean: s.mean,
        n: s.n,
      })),
      labels: Object.fromEntries(await inboundCountsByLabel(t.db.sql, { ...PERIOD, companyIds })),
      texts: (await inboundTexts(t.db.sql, { ...PERIOD, companyIds, limit: 50 })).total,
    });
  }

  /** The same figures computed from the messages alone (the rollups' coverage taken away, then put back). */
  async function liveFigures(companyIds: string[]) {
    const [row] = await t.db.sql.query<{ body: unknown; computedAt: Date | string }>(
      `DELETE FROM "InsightSnapshot" WHERE key = 'rollups:until' RETURNING body, "computedAt"`,
    );
    expect(row, 'rollups were built').toBeDefined();
    try {
      return await figures(companyIds);
    } finally {
      await t.db.sql.query(
        `INSERT INTO "InsightSnapshot" (key, body, "computedAt") VALUES ('rollups:until', $1::jsonb, $2)`,
        [JSON.stringify(row.body), row.computedAt],
      );
    }
  }

  /**
   * MislabelCo, 5 days ago: Bob's "churn" (-0.6) in one conversation; in another his question (need, no
   * sentiment) and his thanks (+0.8) after it.
   */
  async function mislabelCo() {
    const id = await company('MislabelCo', 'mislabel.example');
    const bob = { name: 'Bob Brown', email: 'bob@mislabel.example', companyId: id };
    const churn = await said(
      { companyId: id, channel: 'CMIS' },
      bob,
      'We cancelled the old PO and want to add 20 seats instead',
      {
        daysAgo: 5,
        label: 'churn',
        sentiment: -0.6,
      },
    );
    const question = await said({ companyId: id, channel: 'CMIS' }, bob, 'Is the export fixed yet?', {
      daysAgo: 5,
      label: 'need',
      sentiment: null,
    });
    const thanks = await said(
      { companyId: id, channel: 'CMIS', thread: question.ts },
      bob,
      'Great, thanks for the quick help',
      {
        daysAgo: 5,
        label: 'other',
        sentiment: 0.8,
      },
    );
    await rebuild();
    const [{ days }] = await t.db.sql.query<{ days: number }>(`SELECT count(*)::int AS days FROM "InsightRecordDaily"`);
    expect(days, 'their days are rolled up').toBe(2);
    const seen = await figures([id]);
    expect(seen.reasons[0].reasons.join('; ')).toContain('1 message labelled churn');
    expect(seen.satisfaction).toEqual([{ group: 'MislabelCo', mean: 0.1, n: 2 }]);
    return { id, bob, churn, thanks };
  }

  it('marks nothing while no rollups exist (insights off, or before their first rebuild): a deployment that never rebuilds keeps no marks', async () => {
    const { id } = await mislabelCo();
    const marks = async () =>
      (await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "InsightStaleDay"`))[0].n;
    // Without the coverage row the readers read the messages alone: the same figures, no marks kept.
    await t.db.sql.query(`DELETE FROM "InsightSnapshot" WHERE key = 'rollups:until'`);
    const [churn] = await t.db.sql.query<{ recordId: string }>(
      `SELECT c."recordId" FROM "Classification" c JOIN "CommunicationRecord" r ON r.id = c."recordId"
        WHERE r."companyId" = $1 AND c.label = 'churn'`,
      [id],
    );
    await correctLabel(t.db, churn.recordId, 'need', ADMIN);
    expect(await marks()).toBe(0);
    expect((await figures([id])).labels).toEqual({ need: 2, other: 1 });
    // With rollups again, a change is marked.
    await rebuild();
    await correctLabel(t.db, churn.recordId, 'issue', ADMIN);
    expect(await marks()).toBeGreaterThan(0);
  });

  it("shows a rep's corrected label at once, and the next rebuild keeps it without the marks", async () => {
    const { id, churn } = await mislabelCo();
    await correctLabel(t.db, churn.recordId, 'need', ADMIN);

    const seen = await figures([id]);
    expect(seen.reasons[0].reasons.join('; ')).not.toContain('churn');
    expect(seen.labels).toEqual({ need: 2, other: 1 });
    expect(seen.signals[0].churnMessages).toBe(0);
    expect(seen).toEqual(await liveFigures([id]));

    // The rebuild folds the change into the rollups and takes the marks away: reads are whole-day again.
    await rebuild();
    const [{ marks }] = await t.db.sql.query<{ marks: number }>(`SELECT count(*)::int AS marks FROM "InsightStaleDay"`);
    expect(marks).toBe(0);
    expect(await figures([id])).toEqual(seen);
  });

  it('leaves a message deleted on the platform out of satisfaction and health at once', async () => {
    const { id, thanks } = await mislabelCo();
    const out = await deleteChatMessage(
      t.db,
      { platform: 'slack', channelRef: `T1/${thanks.channel}`, messageKey: thanks.ts },
      noopPipelineHooks,
    );
    expect(out).toMatchObject({ status: 'deleted', recordDeleted: false });

    const seen = await figures([id]);
    expect(seen.satisfaction).toEqual([{ group: 'MislabelCo', mean: -0.6, n: 1 }]);
    // One message left: too few for a mood verdict (3 needed), so no "recent messages are negative".
    expect(seen.reasons[0].reasons.join('; ')).not.toContain('recent messages are negative');
    expect(seen.labels).toEqual({ churn: 1, need: 1 });
    expect(seen).toEqual(await liveFigures([id]));
  });

  it('counts an edited message with no label until it is classified again, then with its new one', async () => {
    const { id, thanks } = await mislabelCo();
    const ref = { platform: 'slack' as const, channelRef: `T1/${thanks.channel}`, messageKey: thanks.ts };
    const out = await editChatMessage(
      t.db,
      { ...ref, text: 'Thanks, but the export is broken again', editedAt: new Date() },
      noopPipelineHooks,
    );
    expect(out.status).toBe('updated');
    // Its old label and sentiment described the old words: gone with the edit.
    let seen = await figures([id]);
    expect(seen.labels).toEqual({ churn: 1, need: 1, unlabelled: 1 });
    expect(seen.satisfaction).toEqual([{ group: 'MislabelCo', mean: -0.6, n: 1 }]);
    expect(seen).toEqual(await liveFigures([id]));

    // The classify job reads the new words.
    await classify(thanks.recordId, thanks.messageId, id, { label: 'issue', sentiment: -0.8 });
    seen = await figures([id]);
    expect(seen.labels).toEqual({ churn: 1, issue: 1, need: 1 });
    expect(seen.satisfaction).toEqual([{ group: 'MislabelCo', mean: -0.7, n: 2 }]);
    expect(seen.reasons[0].reasons.join('; ')).toContain('labelled issue');
    expect(seen).toEqual(await liveFigures([id]));
  });

  it("drops an erased person's replies in another customer's conversation from that customer's insights at once", async () => {
    const acme = await company('Acme Rockets', 'acme.example');
    const globex = await company('Globex Corporation', 'globex.example');
    const bob = { name: 'Bob Nakamura', email: 'bob@acme.example', companyId: acme };
    const gina = { name: 'Gina Gold', email: 'gina@globex.example', companyId: globex };
    await said({ companyId: acme, channel: 'CACME' }, bob, 'Our launch slipped again', {
      daysAgo: 6,
      label: 'issue',
      sentiment: -0.2,
    });
    const question = await said({ companyId: globex, channel: 'CGLOBEX' }, gina, 'Could we get the renewal quote?', {
      daysAgo: 4,
      label: 'need',
      sentiment: 0.2,
    });
    // Bob (of Acme) answers in Gina's thread: inbound there, labelled and scored like Globex's own words.
    await said(
      { companyId: globex, channel: 'CGLOBEX', thread: question.ts },
      bob,
      'We are dropping this vendor next quarter, budget is cut',
      { daysAgo: 4, label: 'churn', sentiment: -0.9 },
    );
    await rebuild();
    const before = await figures([globex]);
    expect(before.labels).toEqual({ churn: 1, need: 1 });
    expect(before.reasons[0].reasons.join('; ')).toContain('1 message labelled churn');

    await eraseCustomer(t.db, acme, ADMIN);

    // What is left of Bob's reply is "[erased]": not Globex's voice, not its churn, not its sentiment.
    const seen = await figures([globex]);
    expect(seen.labels).toEqual({ need: 1 });
    expect(seen.satisfaction).toEqual([{ group: 'Globex Corporation', mean: 0.2, n: 1 }]);
    expect(seen.reasons[0]?.reasons.join('; ') ?? '').not.toContain('churn');
    expect(seen.texts).toBe(1);
    expect(seen).toEqual(await liveFigures([globex]));
    await rebuild();
    expect(await figures([globex])).toEqual(seen);
  });

  it.runIf(kind === 'postgres')(
    'keeps a correction committed while a rebuild is running (after it read the messages, before it committed)',
    async () => {
      const { id, churn } = await mislabelCo();
      // The rebuild reads the messages into InsightDaily, then waits here to replace InsightRecordDaily:
      // what it read has the old label, and everything after (the per-conversation sums, the turns, its
      // coverage, its commit) comes after the correction.
      const holder = await holdRows(t.url, `SELECT 1 FROM "InsightRecordDaily" FOR UPDATE`, []);
      try {
        const rebuilding = rebuild();
        let settled = false;
        rebuilding.finally(() => {
          settled = true;
        });
        await waitForLockWaiters(holder, 1, () => settled);
        expect(settled, 'the rebuild waits with the old label read').toBe(false);
        await correctLabel(t.db, churn.recordId, 'need', ADMIN);
        await holder.query('COMMIT');
        await rebuilding;
      } finally {
        await holder.end();
      }
      const seen = await figures([id]);
      expect(seen.reasons[0].reasons.join('; ')).not.toContain('churn');
      expect(seen.labels).toEqual({ need: 2, other: 1 });
      expect(seen).toEqual(await liveFigures([id]));
    },
  );
});
