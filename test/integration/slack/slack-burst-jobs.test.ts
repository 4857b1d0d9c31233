import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { CONSOLE_JO, logConsoleNote } from '../../helpers/console-note.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slashCommandBurst } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

/** The burst: 400 `/crm log` open loop at 100/s (4 s), against SLACK_BURST_RATE=20. */
const COMMANDS = 400;
const INTERVAL_MS = 10;
/** Notes logged (by the console's path, not Slack) once the burst is under way: their classify jobs are what is watched. */
const NOTES = 10;

/**
 * Role `all` runs the pipeline's jobs on the thread that acks Slack. During a burst of Slack requests
 * (faster than SLACK_BURST_RATE) the jobs wait (at most 10 s) with the work after the acks, so a
 * classification does not take the thread from the acks; with the rate `off` they run at once.
 * The bot is a real process (startTestProcess: Bolt over HTTP, BullMQ on Redis, PostgreSQL); the
 * jobs are the real classify jobs of notes logged through the pipeline hooks, as the console logs.
 */
for (const [rate, holds] of [
  ['20', true],
  ['off', false],
] as const) {
  describe(`SLACK_BURST_RATE=${rate}: role all's classify jobs ${holds ? 'wait for a Slack burst to pass' : 'run during a Slack burst'} (real Bolt, BullMQ, PostgreSQL)`, () => {
    let bot: SlackTestBot | undefined;
    beforeAll(async () => {
      bot = await startSlackTestBot({
        database: 'postgres',
        // Both gates on the main thread's busyness off: what holds work here is the arrival rate alone.
        env: { SLACK_BURST_RATE: rate, SLACK_WORK_HEADROOM: 'off', RAPPORT_JOBS_HEADROOM: 'off' },
        name: `slack-burst-jobs-${rate}`,
        acme: true,
      });
    }, 120_000);
    afterAll(async () => {
      await bot?.dispose();
    });

    it(`classifies notes logged mid-burst ${holds ? 'only after it' : 'while it lasts'}`, async () => {
      const { test, slack, acmeId } = bot!;
      const { db, hooks } = test.proc.runtime;
      const rep = await findOrCreateRep(db.prisma, CONSOLE_JO);
      const note = async (text: string) =>
        (await logConsoleNote(db, hooks, { companyId: acmeId!, rep, text })).message.id;
      const classified = (ids: string[], by?: number) =>
        db.prisma.classification.count({
          where: { messageId: { in: ids }, ...(by === undefined ? {} : { createdAt: { lte: new Date(by) } }) },
        });

      // The model is loaded and the workers are up before the burst: the first job is not the slow one.
      const warm = await note('Warm-up: Jo wants a quote for 40 seats by Friday.');
      await eventually('the warm-up note classified', async () => (await classified([warm])) === 1, 60_000);

      const ids: string[] = [];
      const { acks, lastSentAt } = await slashCommandBurst({
        url: test.url,
        secret: SLACK_TEST_SECRET,
        tag: `jobs${rate}`,
        count: COMMANDS,
        intervalMs: INTERVAL_MS,
        responseUrl: (id) => slack.responseUrl(id),
        // Half a second in (the burst is seen after a quarter second above the rate), the notes.
        before: async (i) => {
          if (i === 50)
            for (let n = 0; n < NOTES; n++)
              ids.push(await note(`Customer ${n} complains the invoice is wrong and wants a call back today.`));
        },
      });
      expect(acks.every((a) => a.status === 200)).toBe(true);
      const during = await classified(ids, lastSentAt);

      await eventually(`all ${NOTES} notes classified`, async () => (await classified(ids)) === NOTES, 60_000);
      // Measured idle: 0 during the burst with the hold, 10 without.
      if (holds) expect(during).toBe(0);
      else expect(during).toBeGreaterThan(0);
      const metrics = await (await fetch(`${test.url}/metrics`)).text();
      const held = Number(/^rapport_jobs_held_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
      if (holds) expect(held).toBeGreaterThanOrEqual(NOTES);
      else expect(held).toBe(0);
    }, 180_000);
  });
}
