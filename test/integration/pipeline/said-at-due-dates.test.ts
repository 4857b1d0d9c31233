import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { formatInZone, instantToWallClock, zonedWallClockToInstant } from '../../../src/domain/zoned-time.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const LA = 'America/Los_Angeles';

/** A calendar day some days before or after `at`'s day in Los Angeles, at a wall-clock hour there. */
function dayInLosAngeles(at: Date, days: number, hour: number): Date {
  const wall = instantToWallClock(at, LA);
  const d = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return zonedWallClockToInstant(
    { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour, minute: 0 },
    LA,
  );
}

const isoDay = (at: Date) => at.toLocaleDateString('en-CA', { timeZone: LA });

describe.each(TEST_DATABASE_KINDS)(
  'dates in a conversation logged late are read from when it was said, on %s',
  (kind) => {
    let h: PipelineHarness;
    beforeEach(async () => {
      h = await startPipelineHarness(kind, { settings: { timezone: LA } });
      await h.deps.classifier.get();
    });
    afterEach(async () => {
      await h.dispose();
    });

    const ctx = (): CommandContext => ({
      actor: { platform: 'console', platformUserId: 'jo', displayName: 'jo', timezone: LA },
      channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
      now: new Date(),
      requestKey: `test:${Math.random()}`,
    });
    const run = (text: string) => executeCommand(text, ctx(), { db: h.test.db, hooks: h.hooks });

    it('"by tomorrow 5pm" in a call logged ten days later: asked for the day after the call, already past, due now', async () => {
      const before = new Date();
      // The call, ten days ago at 15:00 in Los Angeles; the customer asked for the quote the next day at 17:00,
      // which is already the day after in UTC (the card must name the Los Angeles day).
      const said = dayInLosAngeles(before, -10, 15);
      const asked = dayInLosAngeles(said, 1, 17);
      const at = `${isoDay(said)} 15:00`;
      const logged = await run(
        `log acme "Customer: we want to buy 50 seats, please send the quote by tomorrow 5pm" --via call --at "${at}" --new`,
      );
      expect(logged.tone).toBe('success');
      const message = await h.test.db.prisma.message.findFirstOrThrow();
      expect(message.sentAt).toEqual(said);

      const followUp = await eventually(
        'the suggested follow-up',
        async () => (await h.test.db.prisma.followUp.findFirst({ include: { classification: true } })) ?? undefined,
      );
      expect(followUp.classification?.label).toBe('purchase');
      expect(followUp.title).toBe('Send the quote');
      // Due when it was suggested (it is already late), not tomorrow at 17:00 counted from the day it was logged.
      expect(followUp.dueAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(followUp.dueAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(followUp.reason).toContain(`mentions ${isoDay(asked)}.`);
      expect(followUp.reason).toContain(
        `Asked for by ${formatInZone(asked, LA, followUp.dueAt)}, already past: due now.`,
      );
      const card = await eventually('the suggestion in the team channel', async () =>
        h.console.feed().find((e) => e.reply.title?.startsWith('Suggested follow-up for')),
      );
      expect(JSON.stringify(card.reply)).toContain('already past: due now');
    });

    it('"in 5 days" in a call logged two days later: due five days after the call, not after the logging', async () => {
      const before = new Date();
      const said = dayInLosAngeles(before, -2, 10);
      const logged = await run(
        `log acme "We want to buy 50 seats, please send us the quote in 5 days" --via call --at "${isoDay(said)} 10:00" --new`,
      );
      expect(logged.tone).toBe('success');
      const followUp = await eventually(
        'the suggested follow-up',
        async () => (await h.test.db.prisma.followUp.findFirst({ include: { classification: true } })) ?? undefined,
      );
      expect(followUp.classification?.label).toBe('purchase');
      expect(followUp.dueAt).toEqual(dayInLosAngeles(said, 5, 10));
      expect(followUp.reason).not.toContain('already past');
    });
  },
);
