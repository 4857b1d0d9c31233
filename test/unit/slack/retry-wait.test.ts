import { describe, expect, it } from 'vitest';
import { retryWaitMs } from '../../../connectors/slack/slack-missed-marks.ts';

describe('the wait before a mark that keeps failing is tried again', () => {
  it('is a check (30 s) for the first three tries, then doubles, at most an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100].map((tries) => retryWaitMs(tries) / 1000)).toEqual([
      30, 30, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]);
  });
});
