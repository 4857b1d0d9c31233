import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedHistory, writeHistory } from '../../../bench/insights-history.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { acknowledgementSql } from '../../../src/db/customer-turns.sql.ts';
import { rebuildInsightRollups } from '../../../src/db/insight-rollups.repository.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { responsivenessInsight } from '../../../src/insights/responsiveness.service.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};
/** Monday 30 November 2026, 15:00 UTC (business hours 09:00-17:00 UTC, Monday to Friday). */
const NOW = new Date('2026-11-30T15:00:00Z');
const MIDNIGHT = new Date('2026-11-30T00:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

type Said = { dir: 'inbound' | 'outbound' | 'internal'; at: Date; text: string; label?: string; sentiment?: number };

/** A small history of named customers, each conversation a list of messages (the message ids come back). */
class History {
  readonly h: GeneratedHistory = { companies: [], records: [], messages: [], classifications: [], followUps: [] };
  customer(name: string): string {
    const id = randomUUID();
    this.h.companies.push({ id, name: `${name} ${randomUUID().slice(0, 8)}`, willChurn: false });
    return id;
  }
  conversation(companyId: string, channelKind: string, said: Said[]): string[] {
    const recordId = randomUUID();
    this.h.records.push({
      id: recordId,
      companyId,
      channelKind,
      subject: said[0].text,
      startedAt: said[0].at,
      lastMessageAt: said[said.length - 1].at,
    });
    return said.map((m) => {
      const id = randomUUID();
      const ours = m.dir !== 'inbound';
      this.h.messages.push({
        id,
        recordId,
        direction: m.dir as 'inbound',
        authorName: ours ? 'Ann Rep' : 'Bob Customer',
        authorEmail: ours ? 'ann@ours.example' : 'bob@customer.example',
        text: m.text,
        sentAt: m.at,
      });
      if (m.dir !== 'outbound')
        this.h.classifications.push({ recordId, messageId: id, label: m.label ?? 'need', sentiment: m.sentiment ?? 0 });
      return id;
    });
  }
}

const at = (ms: number) => new Date(ms);

/**
 * What a manager reads about customer turns (README "Insights", Responsiveness): acknowledgements open
 * none, a logged call or meeting answers (a reply in another ticket does not), and a turn still open at the period's end
 * waits whenever it was asked (within 90 days). Each figure is checked computed from the messages and
 * from the rebuilt rollups (InsightTurn plus live edges).
 */
describe.each(TEST_DATABASE_KINDS)('customer turns as a manager reads them, on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  /** `read` computed live (no rollups), then from rollups rebuilt up to `until`: both must give the same. */
  const liveAndStored = async <T>(read: () => Promise<T>, until = MIDNIGHT): Promise<T> => {
    await t.db.sql.query(`DELETE FROM "InsightSnapshot" WHERE key = 'rollups:until'`);
    const live = await read();
    await rebuildInsightRollups(t.db, until, SETTINGS.businessHours);
    expect(await read()).toEqual(live);
    return live;
  };

  it('tells an acknowledgement from a message that asks again, in English and Chinese', async () => {
    const verdicts = async (texts: string[]) =>
      Promise.all(
        texts.map(async (text) => {
          const [row] = await t.db.sql.query<{ ack: boolean }>(
            `SELECT ${acknowledgementSql('m')} AS ack FROM (VALUES ($1::text)) AS m("cleanText")`,
            [text],
          );
          return row.ack;
        }),
      );
    const acks = [
      'Thanks, that worked perfectly!',
      'thank you',
      'OK',
      'Great, got it.',
      'Perfect, cheers',
      'Got it, thanks a lot :)',
      'Much appreciated!',
      '谢谢！',
      '好的，收到',
      '收到，谢谢你',
      'Thanks Anna!',
      'Thanks, have a nice weekend!',
      '收到，谢谢王总',
    ];
    const asks = [
      'Thanks, but it still fails',
      'Thanks. It still does not work',
      "ok, it doesn't work on Safari",
      'ok, how do I export the users?',
      'Thanks! Can you also send the invoice',
      'Great, one more thing: please reset my password',
      'okta login is broken',
      'How do I add a user?',
      '谢谢，但是还是不行',
      '好的，请问什么时候可以上线？',
      '收到，还有一个问题',
      `Thanks ${'for everything you did for us this quarter, the whole team is impressed '.repeat(2)}`,
      // Start like one and say something else (a review: each was taken for an acknowledgement).
      'ok, we want to cancel our subscription',
      'Thanks! Invoice #443 was charged twice, refund it',
      'great, can we do a call tomorrow',
      'Perfect. Could we get a quote for 50 seats',
      'Great news! We would like to add 20 seats',
      '收到的货少了两件',
      '了解一下企业版的价格',
      '好的 那价格是多少',
      '收到，麻烦尽快处理',
      '好的，周五前给我报价',
      // One word left besides the acknowledgement's, as a name would be, but an act asked of us.
      'ok, cancel',
      'ok cancel it',
      'Thanks, refund',
      'ok, unsubscribe',
      'Great, downgrading',
      '好的，取消吧',
      '谢谢，退款',
    ];
    expect(await verdicts(acks)).toEqual(acks.map(() => true));
    expect(await verdicts(asks)).toEqual(asks.map(() => false));
  });

  it('does not open a turn at "thanks" after our reply, but does at "thanks, but it still fails" (responsiveness, health)', async () => {
    const story = new History();
    const co = story.customer('ThanksCo');
    // Three questions answered in 30 minutes, each closed by the customer's thanks (Mon-Wed last week, 10:00).
    for (const [d, thanks] of [
      [7, 'Thanks, that worked perfectly!'],
      [6, '好的，谢谢！'],
      [5, 'Great, got it.'],
    ] as const) {
      const t0 = NOW.getTime() - d * DAY - 5 * HOUR;
      story.conversation(co, 'email', [
        { dir: 'inbound', at: at(t0), text: 'How do I add a user?' },
        { dir: 'outbound', at: at(t0 + 30 * MIN), text: 'Settings > Users > Add.' },
        { dir: 'inbound', at: at(t0 + 45 * MIN), text: thanks, label: 'other', sentiment: 0.9 },
      ]);
    }
    // Answered in 30 minutes, but the answer did not help: that is a turn, unanswered since Thursday 10:45.
    const t0 = NOW.getTime() - 4 * DAY - 5 * HOUR;
    const [, , stillFails] = story.conversation(co, 'email', [
      { dir: 'inbound', at: at(t0), text: 'The export times out' },
      { dir: 'outbound', at: at(t0 + 30 * MIN), text: 'Try a smaller date range.' },
      { dir: 'inbound', at: at(t0 + 45 * MIN), text: 'Thanks, but it still fails' },
    ]);
    await writeHistory(t.db, story.h);

    const period = parseInsightsPeriod('30d', NOW);
    const seen = await liveAndStored(async () => {
      const r = await responsivenessInsight(t.db, period, SETTINGS, { companyIds: [co] });
      const health = await healthInsight(t.db, period, SETTINGS, { companyIds: [co] });
      const all = r.overall.find((s) => s.kind === 'all');
      return {
        turns: all?.turns,
        answered: all?.answered,
        withinTarget: all?.withinTargetShare,
        overdue: all?.overdue,
        waiting: r.waiting.map((w) => w.messageId),
        unanswered: health.customers[0]?.reasons.find((x) => x.code === 'unanswered'),
      };
    });
    // Before: the three thanks were three turns waiting forever: 8 turns, 4/8 within target, 4 overdue, risk 21.
    expect(seen).toMatchObject({ turns: 5, answered: 4, withinTarget: 0.8, overdue: 1, waiting: [stillFails] });
    expect(seen.unanswered).toMatchObject({ points: 7, messageIds: [stillFails] });
  });

  it("counts a logged call or meeting as the answer to the customer's open question; a note is not one, nor a reply in another ticket of the same customer", async () => {
    const story = new History();
    // Friday 27 November, 10:00: "call me", and the rep calls 20 minutes later and logs it.
    const p0 = NOW.getTime() - 3 * DAY - 5 * HOUR;
    const phone = story.customer('PhoneCo');
    story.conversation(phone, 'email', [
      { dir: 'inbound', at: at(p0), text: 'Could you call me about our renewal today?' },
    ]);
    story.conversation(phone, 'call', [
      {
        dir: 'internal',
        at: at(p0 + 20 * MIN),
        text: 'Called Bob about the renewal, renewing for 2 years',
        sentiment: 0.6,
      },
    ]);
    // Two open tickets of one customer: the answer in one thread does not answer the other.
    const mail = story.customer('MailCo');
    story.conversation(mail, 'email', [
      { dir: 'inbound', at: at(p0), text: 'Where is the invoice for November?' },
      { dir: 'outbound', at: at(p0 + HOUR), text: 'Invoice for November attached' },
    ]);
    const [mailWaiting] = story.conversation(mail, 'email', [
      { dir: 'inbound', at: at(p0 + 10 * MIN), text: 'Also, our SSO login fails since Monday' },
    ]);
    // Sunday's question, answered by a meeting on Monday 09:30: after the rollups' coverage end.
    const late = story.customer('LateCo');
    story.conversation(late, 'slack', [
      { dir: 'inbound', at: at(MIDNIGHT.getTime() - 14 * HOUR), text: 'Can we meet?' },
    ]);
    story.conversation(late, 'meeting', [
      { dir: 'internal', at: at(MIDNIGHT.getTime() + 9.5 * HOUR), text: 'Met Bob, walked through the plan' },
    ]);
    // A note is what a rep writes down, not a conversation with the customer: still waiting.
    const note = story.customer('NoteCo');
    const [unanswered] = story.conversation(note, 'email', [
      { dir: 'inbound', at: at(p0), text: 'Can you check our SSO settings?' },
    ]);
    story.conversation(note, 'note', [
      { dir: 'internal', at: at(p0 + 20 * MIN), text: 'Bob asked about SSO, need to check' },
    ]);
    await writeHistory(t.db, story.h);

    const period = parseInsightsPeriod('30d', NOW);
    const companyIds = [phone, mail, late, note];
    const seen = await liveAndStored(async () => {
      const r = await responsivenessInsight(t.db, period, SETTINGS, { companyIds });
      const health = await healthInsight(t.db, period, SETTINGS, { companyIds });
      const all = (s: typeof r.overall) => s.filter((x) => x.kind === 'all');
      return {
        overall: all(r.overall).map((s) => [s.turns, s.answered, s.withinTargetShare, s.overdue]),
        byRep: all(r.byRep).map((s) => [s.group, s.answered, s.medianMinutes]),
        slowest: r.slowest.map((s) => [s.companyName?.split(' ')[0], s.waitedMinutes, s.responder]),
        waiting: r.waiting.map((w) => w.messageId),
        unanswered: health.customers
          .filter((c) => c.reasons.some((x) => x.code === 'unanswered'))
          .map((c) => c.name.split(' ')[0]),
      };
    });
    expect(seen).toEqual({
      // 5 turns: PhoneCo, MailCo's invoice and LateCo answered within 4 h; MailCo's other ticket and
      // NoteCo waiting past it.
      overall: [[5, 3, 0.6, 2]],
      byRep: [['Ann Rep', 3, 30]],
      slowest: [
        ['MailCo', 60, 'Ann Rep'],
        ['LateCo', 30, 'Ann Rep'],
        ['PhoneCo', 20, 'Ann Rep'],
      ],
      waiting: [unanswered, mailWaiting],
      unanswered: ['MailCo', 'NoteCo'],
    });

    // What the rep reads in chat: before, "0% of replies within 4 h; 1 waiting past it" and risk 7.
    const name = story.h.companies.find((c) => c.id === phone)?.name;
    const card = await executeCommand(
      `insights "${name}"`,
      { actor: { platform: 'console', platformUserId: 'alice', displayName: 'Alice', timezone: 'UTC' }, now: NOW },
      {
        db: t.db,
        hooks: { recordLogged: async () => {}, followUpChanged: async () => {} },
        insights: SETTINGS,
      } as never,
    );
    expect(card.fields).toEqual(
      expect.arrayContaining([
        { label: 'Health', value: '100/100' },
        { label: 'First response', value: 'median 20 min (1 answered)' },
        { label: 'Within target', value: '100% of replies within 4 h; 0 waiting past it' },
      ]),
    );
  });

  it('answers a turn with the earlier of a reply in its thread and a logged call; at the same instant, the lower record id’s', async () => {
    const story = new History();
    // Friday 27 November, 10:00.
    const p0 = NOW.getTime() - 3 * DAY - 5 * HOUR;
    /** A question, a reply in its thread at `replyAfter` minutes and a call at `callAfter` (Cal logs it). */
    const ask = (name: string, replyAfter: number, callAfter: number) => {
      const id = story.customer(name);
      const [, reply] = story.conversation(id, 'email', [
        { dir: 'inbound', at: at(p0), text: 'Can you help us move our data?' },
        { dir: 'outbound', at: at(p0 + replyAfter * MIN), text: 'Here is how to move it' },
      ]);
      const [call] = story.conversation(id, 'call', [
        { dir: 'internal', at: at(p0 + callAfter * MIN), text: 'Called Bob about the move' },
      ]);
      const callMessage = story.h.messages.find((m) => m.id === call);
      if (callMessage) callMessage.authorName = 'Cal Caller';
      const recordOf = (messageId: string) => story.h.messages.find((m) => m.id === messageId)?.recordId ?? '';
      return { id, replyRecord: recordOf(reply), callRecord: recordOf(call) };
    };
    const callFirst = ask('CallFirst', 50, 20);
    const replyFirst = ask('ReplyFirst', 15, 45);
    const tie = ask('Tie', 30, 30);
    await writeHistory(t.db, story.h);

    const period = parseInsightsPeriod('30d', NOW);
    const companyIds = [callFirst.id, replyFirst.id, tie.id];
    const slowest = await liveAndStored(async () =>
      (await responsivenessInsight(t.db, period, SETTINGS, { companyIds })).slowest.map((s) => [
        s.companyName?.split(' ')[0],
        s.waitedMinutes,
        s.responder,
      ]),
    );
    expect(slowest).toEqual([
      ['Tie', 30, tie.callRecord < tie.replyRecord ? 'Cal Caller' : 'Ann Rep'],
      ['CallFirst', 20, 'Cal Caller'],
      ['ReplyFirst', 15, 'Ann Rep'],
    ]);
  });

  it('keeps a turn nobody answered waiting after its period, up to 90 days (weekly figures, health)', async () => {
    const monday = new Date('2026-11-30T09:00:00Z'); // the weekly post
    const story = new History();
    // Monday 23 November 10:00, 8 days before the weekly post: never answered.
    const ignored = story.customer('IgnoredCo');
    const [lockedOut] = story.conversation(ignored, 'email', [
      {
        dir: 'inbound',
        at: at(monday.getTime() - 8 * DAY + HOUR),
        text: 'Our whole team is locked out, please help urgently',
      },
    ]);
    // Asked 8 days ago too, answered on Wednesday: not waiting.
    const answered = story.customer('AnsweredCo');
    story.conversation(answered, 'email', [
      { dir: 'inbound', at: at(monday.getTime() - 8 * DAY + HOUR), text: 'Please renew our licence' },
      { dir: 'outbound', at: at(monday.getTime() - 5 * DAY + HOUR), text: 'Renewed' },
    ]);
    // 100 days ago: past the horizon, no longer a reply due.
    const ancient = story.customer('AncientCo');
    story.conversation(ancient, 'email', [
      { dir: 'inbound', at: at(monday.getTime() - 100 * DAY), text: 'Can you send the price list?' },
    ]);
    // Asked this week: one of the period's turns, waiting too.
    const fresh = story.customer('FreshCo');
    const [priceList] = story.conversation(fresh, 'email', [
      { dir: 'inbound', at: at(monday.getTime() - 3 * DAY + HOUR), text: 'Can you send the price list?' },
    ]);
    await writeHistory(t.db, story.h);

    const period = parseInsightsPeriod('7d', monday);
    const companyIds = [ignored, answered, ancient, fresh];
    const seen = await liveAndStored(async () => {
      const r = await responsivenessInsight(t.db, period, SETTINGS, { companyIds });
      const health = await healthInsight(t.db, period, SETTINGS, { companyIds });
      const all = r.overall.find((s) => s.kind === 'all');
      return {
        turns: all?.turns,
        overdue: all?.overdue,
        withinTarget: all?.withinTargetShare,
        waiting: r.waiting.map((w) => [w.messageId, w.waitedMinutes]),
        unanswered: health.customers
          .filter((c) => c.reasons.some((x) => x.code === 'unanswered'))
          .map((c) => [c.name.split(' ')[0], c.risk]),
      };
    }, new Date('2026-11-30T00:00:00Z'));
    // Before: IgnoredCo dropped out of the week: 0 waiting past it, risk 0.
    expect(seen).toEqual({
      // The period's own turn (FreshCo, Friday 10:00, 7 business hours ago) is judged; IgnoredCo's only waits.
      turns: 1,
      overdue: 2,
      withinTarget: 0,
      waiting: [
        [lockedOut, 5 * 8 * 60],
        [priceList, 7 * 60],
      ],
      unanswered: [
        ['FreshCo', 7],
        ['IgnoredCo', 7],
      ],
    });
  });
});
