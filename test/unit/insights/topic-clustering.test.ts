import { describe, expect, it } from 'vitest';
import { clusterTopics, isContentTerm, type TopicMessage } from '../../../src/insights/topic-clustering.ts';

const messages = (texts: readonly string[], prefix: string): TopicMessage[] =>
  texts.map((text, i) => ({ id: `${prefix}-${String(i).padStart(3, '0')}`, text }));
/** The planted group of a member id (`zh0-007` → `zh0`). */
const groupOf = (id: string) => id.split('-')[0];

// Four needs in Chinese, three messages each (a reviewer's set): invoices, login, orders, pricing.
const ZH = [
  [
    '你好，我们的发票金额不对，请帮忙核对一下',
    '我们需要上个月的发票，请尽快发给我们',
    '发票上的税号写错了，我们需要重新开发票',
  ],
  [
    '你好，我们无法登录系统，密码重置以后还是不行',
    '登录页面一直在转圈，我们的同事都进不去',
    '密码重置邮件没有收到，我们无法登录',
  ],
  ['我们的订单什么时候发货？', '请问订单的物流单号是多少？我们还没收到货', '我们的订单已经一个星期了还没有发货'],
  [
    '你好，我们想再买十个账号，价格是多少',
    '请给我们报价，增加二十个用户的费用',
    '我们团队扩大了，需要增加账号，请报价',
  ],
];
const EN = [
  ['Please send the invoice for last month', 'Our invoice shows the wrong VAT number', 'We need a corrected invoice'],
  [
    'Login fails after the password reset',
    'The login page keeps spinning forever',
    'Password reset email never arrived, cannot login',
  ],
  [
    'When will our order be shipped?',
    'Shipping tracking number for our order please',
    'Our order has not shipped after a week',
  ],
  ['How much do ten more seats cost?', 'Please quote twenty more seats', 'We need more seats for the new team'],
];
/** Each message with four endings, as a week of mail says the same things in other words. */
function week(sets: string[][], prefix: string, endings: readonly string[]): TopicMessage[] {
  return sets.flatMap((set, g) =>
    set.flatMap((text, i) =>
      endings.map((end, j) => ({
        id: `${prefix}${g}-${String(i * endings.length + j).padStart(3, '0')}`,
        text: text + end,
      })),
    ),
  );
}
const ZH_ENDINGS = ['', '，谢谢', '。谢谢你们', '，麻烦了'];
const EN_ENDINGS = ['', ' Thanks.', ' Thank you!', ' Regards, Bob'];

describe('topic names and clusters (what a manager reads as a topic)', () => {
  it('never names a topic by a placeholder, alone or inside a two-word term', () => {
    // Order numbers in every message: "ship <number>" and "again <number>" named topics before.
    const texts = ['The invoice total is wrong again', 'Login fails after password reset', 'When will the order ship'];
    const topics = clusterTopics(
      messages(
        Array.from({ length: 60 }, (_, i) => `${texts[i % 3]} ${4700 + i}`),
        'm',
      ),
      [],
    );
    expect(topics.length).toBeGreaterThan(1);
    for (const t of topics) expect(t.name).not.toMatch(/<|>/);
    expect(isContentTerm('ship <number>')).toBe(false);
    expect(isContentTerm('<number> again')).toBe(false);
    expect(isContentTerm('order ship')).toBe(true);
  });

  it('names Chinese topics by what they are about, not by "我们", "需要" or "你好", and keeps invoices, orders and pricing apart', () => {
    const topics = clusterTopics(week(ZH, 'zh', ZH_ENDINGS), []);
    const names = topics.map((t) => t.name);
    for (const word of ['我们', '需要', '你好', '谢谢', '没有', '请问', '一下'])
      for (const name of names) expect(name, name).not.toContain(word);
    // Each topic about invoices (zh0), orders (zh2) or pricing (zh3) holds that need alone.
    for (const t of topics) {
      const needs = new Set(t.memberIds.map(groupOf).filter((g) => ['zh0', 'zh2', 'zh3'].includes(g)));
      expect(needs.size, `${t.name}: ${[...needs].join(', ')}`).toBeLessThanOrEqual(1);
    }
    expect(names.find((n) => n.includes('发票'))).toBeDefined();
    expect(names.find((n) => n.includes('订单'))).toBeDefined();
  });

  it('keeps Chinese invoices, orders and pricing in topics of their own in a mixed Chinese and English week', () => {
    const topics = clusterTopics([...week(ZH, 'zh', ZH_ENDINGS), ...week(EN, 'en', EN_ENDINGS)], []);
    for (const t of topics) {
      const needs = new Set(t.memberIds.map(groupOf).filter((g) => ['zh0', 'zh2', 'zh3'].includes(g)));
      expect(needs.size, `${t.name}: ${[...needs].join(', ')}`).toBeLessThanOrEqual(1);
      expect(t.name).not.toContain('我们');
    }
  });

  it('flags nothing as emerging when the previous period had no messages, and a surge when it had', () => {
    const usual = Array.from({ length: 30 }, (_, i) =>
      i % 2 ? `Invoice ${i} shows the wrong total` : `Password reset email for user ${i} never arrived`,
    );
    const surge = Array.from({ length: 16 }, (_, i) => `CSV export times out for report ${i}`);
    const current = messages([...usual, ...surge], 'c');
    expect(clusterTopics(current, []).filter((t) => t.emerging)).toEqual([]);
    const emerging = clusterTopics(current, messages(usual, 'p')).filter((t) => t.emerging);
    expect(emerging.map((t) => t.name).join(' ')).toMatch(/csv|export/);
  });
});
