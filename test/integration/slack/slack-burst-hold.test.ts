import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slashCommandBurst } from '../../helpers/slack-requests.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
const N = 150;
const INTERVAL_MS = 10;

/**
 * Sends N `/crm log` open loop, one every 10 ms (100/s), and returns when the last was sent and how
 * many answers (response_url) had arrived by then, once every one is answered.
 */
async function burst(test: TestProcess, slack: SlackRecorder, tag: string) {
  const { acks, lastSentAt } = await slashCommandBurst({
    url: test.url,
    secret: SECRET,
    tag,
    count: N,
    intervalMs: INTERVAL_MS,
    responseUrl: (id) => slack.responseUrl(id),
  });
  const answers = () => slack.calls.filter((c) => c.method.startsWith(`respond/${tag}-`));
  await eventually('every command answered', async () => answers().length === N, 60_000);
  const written = await test.proc.runtime.db.prisma.communicationRecord.count({
    where: { sourceKey: { startsWith: `slack:command:slack:T1:${tag}-` } },
  });
  return { acks, written, answeredDuring: answers().filter((c) => (c.at ?? 0) <= lastSentAt).length };
}

for (const [rate, holds] of [
  ['20', true],
  ['off', false],
] as const) {
  describe(`SLACK_BURST_RATE=${rate}: the work after a /crm ack ${holds ? 'waits for the burst to pass' : 'runs as commands arrive'} (real Bolt, PostgreSQL)`, () => {
    let bot: SlackTestBot | undefined;
    let slack: SlackRecorder;
    let test: TestProcess | undefined;
    beforeAll(async () => {
      bot = await startSlackTestBot({
        database: 'postgres',
        env: {
          SLACK_BURST_RATE: rate,
          // The event-loop gate off: what holds the work here is the arrival rate alone.
          SLACK_WORK_HEADROOM: 'off',
        },
        name: `slack-burst-${rate}`,
        acme: true,
      });
      ({ slack, test } = bot);
    }, 120_000);
    afterAll(async () => {
      await bot?.dispose();
    });

    it(`acknowledges all ${N} at once and writes and answers every one; ${holds ? 'answers follow the burst' : 'answers come during it'}`, async () => {
      const { acks, written, answeredDuring } = await burst(test!, slack, `hold${rate}`);
      expect(acks.every((a) => a.status === 200 && a.text === '')).toBe(true);
      expect(written).toBe(N);
      // At 100/s against a threshold of 20/s the hold starts after a handful (the meter counts the last
      // quarter second) and lasts until the requests stop; without it most are answered on the way.
      // Measured idle: 3 during the burst with the hold, 145-150 without. The bound leaves room for a
      // long stall of this busy test process (a second under half the rate ends the burst early).
      if (holds) expect(answeredDuring).toBeLessThanOrEqual(40);
      else expect(answeredDuring).toBeGreaterThanOrEqual(N / 3);
    }, 120_000);
  });
}
