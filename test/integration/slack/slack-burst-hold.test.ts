import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slashCommandBurst } from '../../helpers/slack-requests.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
const N = 150;
const INTERVAL_MS = 10;
/**
 * The fewest commands a burst must send in every second of it: SLACK_BURST_RATE. The hold ends once
 * the last second has seen fewer than half that, which a stall of this process (sender and bot alike:
 * about 900 ms) or a starved sender brings about; such a run is not the burst this test is about and
 * is sent again (a loaded CI machine stalls now and then).
 */
const STEADY_PER_SECOND = 20;
const TRIES = 3;

/** The fewest commands sent in any one second wholly inside the burst. */
function fewestInASecond(sentAt: number[]): number {
  const last = sentAt[sentAt.length - 1];
  let fewest = sentAt.length;
  for (let i = 0, j = 0; i < sentAt.length && sentAt[i] + 1000 <= last; i++) {
    while (j < sentAt.length && sentAt[j] < sentAt[i] + 1000) j++;
    fewest = Math.min(fewest, j - i);
  }
  return fewest;
}

/**
 * Sends N `/crm log` open loop, one every 10 ms (100/s), and returns when the last was sent and how
 * many answers (response_url) had arrived by then, once every one is answered.
 */
async function burst(test: TestProcess, slack: SlackRecorder, tag: string) {
  const { acks, lastSentAt, sentAt } = await slashCommandBurst({
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
  return {
    acks,
    written,
    fewest: fewestInASecond(sentAt),
    answeredDuring: answers().filter((c) => (c.at ?? 0) <= lastSentAt).length,
  };
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
      const fewest: number[] = [];
      let run = await burst(test!, slack, `hold${rate}t0`);
      for (let k = 1; run.fewest < STEADY_PER_SECOND && k < TRIES; k++) {
        fewest.push(run.fewest);
        run = await burst(test!, slack, `hold${rate}t${k}`);
      }
      const { acks, written, answeredDuring } = run;
      expect(acks.every((a) => a.status === 200 && a.text === '')).toBe(true);
      expect(written).toBe(N);
      fewest.push(run.fewest);
      expect(
        run.fewest,
        `a steady burst in ${TRIES} tries (fewest sent in a second: ${fewest})`,
      ).toBeGreaterThanOrEqual(STEADY_PER_SECOND);
      // At 100/s against a threshold of 20/s the hold starts after a handful (the meter counts the last
      // quarter second) and lasts until the requests stop; without it most are answered on the way.
      // Measured idle: 3 during the burst with the hold, 145-150 without.
      if (holds) expect(answeredDuring).toBeLessThanOrEqual(40);
      else expect(answeredDuring).toBeGreaterThanOrEqual(N / 3);
    }, 300_000);
  });
}
