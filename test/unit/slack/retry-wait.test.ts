import { describe, expect, it } from 'vitest';
import { retryWaitMs, SLACK_FAILING_MAX_WAIT_MS } from '../../../connectors/slack/slack-missed-marks.ts';

describe('the wait before a mark that keeps failing is tried again', () => {
  it('is a check (30 s) for the first three tries, then doubles, at most an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100].map((tries) => retryWaitMs(tries) / 1000)).toEqual([
      30, 30, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]);
  });

  it('is at most five minutes for a place whose history Slack keeps failing to show', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((tries) => retryWaitMs(tries, SLACK_FAILING_MAX_WAIT_MS) / 1000)).toEqual([
      30, 30, 30, 60, 120, 240, 300, 300, 300,
    ]);
  });
});
