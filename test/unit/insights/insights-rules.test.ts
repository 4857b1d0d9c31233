import { describe, expect, it } from 'vitest';
import {
  businessMinutesBetween,
  DEFAULT_BUSINESS_HOURS,
  parseBusinessHours,
} from '../../../src/insights/business-hours.ts';
import { AT_RISK_THRESHOLD, scoreHealth, type HealthInputs } from '../../../src/insights/health-score.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import { isEmerging } from '../../../src/insights/topic-clustering.ts';

const quiet: HealthInputs = {
  churnMessages: 0,
  churnRecords: [],
  issueMessages: 0,
  issueRecords: [],
  sentimentEarlier: null,
  sentimentEarlierN: 0,
  sentimentLater: null,
  sentimentLaterN: 0,
  unanswered: [],
  overdueFollowUps: [],
  lastContactAt: new Date('2026-11-29T15:00:00Z'),
  daysSilent: 1,
};

describe('business hours', () => {
  it('counts only opening hours on working days', () => {
    const at = (s: string) => new Date(s);
    expect(businessMinutesBetween(at('2026-11-27T16:00:00Z'), at('2026-11-30T10:00:00Z'), DEFAULT_BUSINESS_HOURS)).toBe(
      120,
    );
    expect(businessMinutesBetween(at('2026-11-28T03:00:00Z'), at('2026-11-29T23:00:00Z'), DEFAULT_BUSINESS_HOURS)).toBe(
      0,
    );
    expect(businessMinutesBetween(at('2026-11-30T10:00:00Z'), at('2026-11-30T09:00:00Z'), DEFAULT_BUSINESS_HOURS)).toBe(
      0,
    );
  });

  it('reads opening hours in the configured timezone, across a DST change', () => {
    const berlin = { ...DEFAULT_BUSINESS_HOURS, timeZone: 'Europe/Berlin' };
    // Friday 16:00 local (15:00Z) to Monday 10:00 local (09:00Z): 60 + 60.
    expect(businessMinutesBetween(new Date('2026-11-27T15:00:00Z'), new Date('2026-11-30T09:00:00Z'), berlin)).toBe(
      120,
    );
    // Across the end of summer time (25 Oct 2026): Friday 16:00 CEST to Monday 10:00 CET is still 120.
    expect(businessMinutesBetween(new Date('2026-10-23T14:00:00Z'), new Date('2026-10-26T09:00:00Z'), berlin)).toBe(
      120,
    );
  });

  it('gives a long wait the same minutes whether walked day by day or counted in whole weeks', () => {
    const from = new Date('2026-01-05T12:00:00Z'); // a Monday
    const weeks = 40;
    const to = new Date(from.getTime() + weeks * 7 * 86_400_000);
    expect(businessMinutesBetween(from, to, DEFAULT_BUSINESS_HOURS)).toBe(weeks * 5 * 8 * 60);
  });

  it('parses the settings and says what is wrong', () => {
    expect(parseBusinessHours('08:30-18:00', 'mon-fri', 'UTC')).toMatchObject({
      startMinute: 510,
      endMinute: 1080,
      days: [1, 2, 3, 4, 5],
    });
    expect(parseBusinessHours('09:00-17:00', 'sun-thu', 'UTC')).toMatchObject({ days: [0, 1, 2, 3, 4] });
    expect(parseBusinessHours('9-5', 'mon-fri', 'UTC')).toEqual({ problem: expect.stringContaining('09:00-17:00') });
    expect(parseBusinessHours('17:00-09:00', 'mon-fri', 'UTC')).toEqual({
      problem: expect.stringContaining('end after'),
    });
    expect(parseBusinessHours('09:00-17:00', 'monday', 'UTC')).toEqual({ problem: expect.stringContaining('mon-fri') });
  });
});

describe('health score', () => {
  it('is 100 for a customer with nothing wrong', () => {
    expect(scoreHealth(quiet)).toEqual({ risk: 0, health: 100, atRisk: false, reasons: [] });
  });

  it('adds capped parts, lists each with its records, most points first', () => {
    const s = scoreHealth({
      ...quiet,
      churnMessages: 1,
      churnRecords: ['r1'],
      issueMessages: 5,
      issueRecords: ['r2', 'r3'],
      unanswered: [{ messageId: 'm1', recordId: 'r2' }],
    });
    expect(s.reasons.map((r) => [r.code, r.points])).toEqual([
      ['churn-label', 30],
      ['issue-label', 24],
      ['unanswered', 7],
    ]);
    expect(s.risk).toBe(61);
    expect(s.atRisk).toBe(true);
    expect(s.reasons[1].recordIds).toEqual(['r2', 'r3']);
  });

  it('reads a sentiment fall, negative mood, overdue follow-ups and silence', () => {
    const s = scoreHealth({
      ...quiet,
      sentimentEarlier: 0.4,
      sentimentEarlierN: 3,
      sentimentLater: -0.3,
      sentimentLaterN: 3,
      overdueFollowUps: [4, 9],
      lastContactAt: new Date('2026-11-10T15:00:00Z'),
      daysSilent: 20,
    });
    expect(Object.fromEntries(s.reasons.map((r) => [r.code, r.points]))).toEqual({
      'sentiment-drop': 20,
      'negative-sentiment': 10,
      overdue: 12,
      silence: 15,
    });
    expect(s.reasons.find((r) => r.code === 'overdue')?.text).toBe('2 overdue follow-ups (#4, #9)');
    expect(s.reasons.find((r) => r.code === 'sentiment-drop')?.text).toBe(
      'sentiment fell from 0.40 (3 messages, earlier half of the period) to -0.30 (3 messages, later half)',
    );
    expect(s.reasons.find((r) => r.code === 'negative-sentiment')?.text).toBe(
      'recent messages are negative (mean sentiment -0.30 over 3 messages)',
    );
    expect(s.reasons.find((r) => r.code === 'silence')?.text).toBe(
      'no contact since 10 Nov 2026: no message or logged call for 20 days',
    );
    expect(s.risk).toBeGreaterThanOrEqual(AT_RISK_THRESHOLD);
  });
});

describe('periods and emerging topics', () => {
  it('reads 30d, 4w, 3m and refuses the rest with a sentence', () => {
    const now = new Date('2026-11-30T00:00:00Z');
    expect(parseInsightsPeriod('4w', now)).toMatchObject({
      days: 28,
      label: '4w',
      from: new Date('2026-11-02T00:00:00Z'),
    });
    expect(parseInsightsPeriod(undefined, now).days).toBe(30);
    expect(parseInsightsPeriod('3m', now).previousFrom).toEqual(new Date('2026-06-03T00:00:00Z'));
    expect(() => parseInsightsPeriod('0d', now)).toThrow(/not a period/);
    expect(() => parseInsightsPeriod('yesterday', now)).toThrow(/7d, 30d, 4w or 3m/);
  });

  it('flags a topic as emerging only when its share doubled and rose 5 points', () => {
    expect(isEmerging(16, 0.33, 0, 32)).toBe(true);
    expect(isEmerging(2, 0.5, 0, 32)).toBe(false);
    expect(isEmerging(10, 0.2, 0.12, 32)).toBe(false);
    expect(isEmerging(10, 0.06, 0.02, 32)).toBe(false);
  });

  it('flags nothing as emerging when the previous period had no messages', () => {
    expect(isEmerging(16, 0.33, 0, 0)).toBe(false);
  });
});
