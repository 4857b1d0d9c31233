import { describe, expect, it } from 'vitest';
import { splitForRollups } from '../../../src/domain/rollup-window.ts';

const at = (s: string) => new Date(s);
const iso = (r: [Date, Date][]) => r.map(([a, b]) => [a.toISOString(), b.toISOString()]);

describe('splitForRollups', () => {
  it('reads whole days inside each interval from the rollups and the cut days and days since coverage live', () => {
    const split = splitForRollups(
      [at('2026-11-01T15:07:00Z'), at('2026-11-04T03:00:00Z'), at('2026-11-06T15:07:00Z')],
      at('2026-11-06T00:00:00Z'),
    );
    // 2026-11-04 straddles the cut at 03:00: no rolled-up row may count for both intervals, so all of it is live.
    expect(split.days).toEqual(['2026-11-02', '2026-11-03', '2026-11-05']);
    expect(iso(split.live)).toEqual([
      ['2026-11-01T15:07:00.000Z', '2026-11-02T00:00:00.000Z'],
      ['2026-11-04T00:00:00.000Z', '2026-11-05T00:00:00.000Z'],
      ['2026-11-06T00:00:00.000Z', '2026-11-06T15:07:00.000Z'],
    ]);
  });

  it('is all live without rollups or for an interval shorter than a day', () => {
    expect(splitForRollups([at('2026-11-01T10:00:00Z'), at('2026-11-03T10:00:00Z')], undefined)).toEqual({
      days: [],
      live: [[at('2026-11-01T10:00:00Z'), at('2026-11-03T10:00:00Z')]],
    });
    expect(
      splitForRollups([at('2026-11-01T10:00:00Z'), at('2026-11-01T20:00:00Z')], at('2026-11-05T00:00:00Z')).days,
    ).toEqual([]);
  });
});
