import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { reminderJobId } from '../../../jobs/reminder-schedule.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

describe.each(TEST_DATABASE_KINDS)(
  'pipeline on %s: log -> classification -> suggestion -> accept -> reminder -> done',
  (kind) => {
    let h: PipelineHarness;
    beforeEach(async () => {
      h = await startPipelineHarness(kind);
    });
    afterEach(async () => {
      await h.dispose();
    });

    const ctx = (user = 'jo'): CommandContext => ({
      actor: { platform: 'console', platformUserId: user, displayName: user, timezone: 'UTC' },
      channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
      now: new Date(),
      requestKey: `test:${Math.random()}`,
    });
    const run = (text: string, user?: string) => executeCommand(text, ctx(user), { db: h.test.db, hooks: h.hooks });
    const feedEntry = (title: string) => h.console.feed().find((e) => e.reply.title?.startsWith(title));

    it('suggests a follow-up for a complaint, turns it into a reminder that fires in the channel, and updates cards in place', async () => {
      const logged = await run('log acme "The dashboard keeps crashing, we are really unhappy" --new');
      expect(logged.tone).toBe('success');

      const suggestion = await eventually('the suggestion in the team channel', async () =>
        feedEntry('Suggested follow-up for'),
      );
      const classification = await h.test.db.prisma.classification.findFirstOrThrow();
      expect(classification.label).toBe('issue');
      expect(classification.confidence).toBeGreaterThan(0.5);
      // The post lands in the channel a moment before the delivery job records it on the follow-up.
      const followUp = await eventually(
        'the suggestion recorded on its follow-up',
        async () => (await h.test.db.prisma.followUp.findFirst({ where: { messageRef: { not: null } } })) ?? undefined,
      );
      expect(followUp).toMatchObject({
        status: 'suggested',
        source: 'suggested',
        classificationId: classification.id,
        remindTarget: 'console:team',
        messageRef: `console:team|${suggestion.externalId}`,
      });
      expect(suggestion.reply.buttons?.map((b) => b.label)).toEqual(
        expect.arrayContaining(['Accept', 'Change due', 'Dismiss', 'Change label']),
      );

      // A duplicate classify request (retried enqueue) changes nothing.
      const message = await h.test.db.prisma.message.findFirstOrThrow();
      await h.hooks.recordLogged(message.recordId, message.id);
      await new Promise((r) => setTimeout(r, 500));
      expect(await h.test.db.prisma.classification.count()).toBe(1);
      expect(await h.test.db.prisma.followUp.count()).toBe(1);
      expect(h.console.feed().filter((e) => e.reply.title?.startsWith('Suggested')).length).toBe(1);

      // Accept: the follow-up opens, gets exactly one reminder job, and the suggestion card is updated in place.
      expect((await run(`accept ${followUp.number}`)).tone).not.toBe('error');
      const opened = await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } });
      expect(opened.status).toBe('open');
      expect(await h.queues[QueueName.FollowUpReminder].getJob(reminderJobId(opened.id, opened.dueAt))).toBeTruthy();
      await eventually('the suggestion card to lose its Accept button', async () => {
        const card = h.console.feed().find((e) => e.externalId === suggestion.externalId);
        return card?.updatedAt && !card.reply.buttons?.some((b) => b.label === 'Accept');
      });

      // Bring the due time close (as `snooze` would) and wait for the reminder to fire.
      await h.test.db.prisma.followUp.update({
        where: { id: followUp.id },
        data: { dueAt: new Date(Date.now() + 1_000) },
      });
      await h.hooks.followUpChanged(followUp.id);
      expect(await h.queues[QueueName.FollowUpReminder].getJob(reminderJobId(opened.id, opened.dueAt))).toBeFalsy(); // the old schedule is gone
      const reminder = await eventually('the reminder in the team channel', async () =>
        feedEntry('Reminder: follow up with acme'),
      );
      // The post lands a moment before the delivery job records it (the refresh after Done needs it).
      await eventually(
        'the reminder recorded on its follow-up',
        async () =>
          (await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).messageRef ===
          `console:team|${reminder.externalId}`,
      );
      expect(reminder.reply.buttons?.map((b) => b.label)).toEqual(
        expect.arrayContaining(['Done', 'Snooze', 'Reassign']),
      );

      // Snooze: the reminder card is refreshed in place and still reads as a reminder, now snoozed.
      expect((await run(`snooze ${followUp.number} in 1 hour`)).tone).not.toBe('error');
      const snoozed = await eventually('the reminder card to show the snooze', async () => {
        const card = h.console.feed().find((e) => e.externalId === reminder.externalId);
        return card?.reply.footer?.startsWith('Snoozed until') ? card : undefined;
      });
      expect(snoozed.reply.title).toBe('Reminder: follow up with acme');
      expect(h.console.feed().filter((e) => e.reply.title?.startsWith('Reminder')).length).toBe(1);

      // Done: the reminder card shows who closed it, with no buttons left.
      expect((await run(`done ${followUp.number}`, 'sam')).tone).not.toBe('error');
      const closed = await eventually('the reminder card to show Done', async () => {
        const card = h.console.feed().find((e) => e.externalId === reminder.externalId);
        return card?.reply.footer?.startsWith('Marked done') ? card : undefined;
      });
      expect(closed.reply.footer).toContain('by sam');
      expect(closed.reply.buttons ?? []).toEqual([]);
      expect(await h.queues[QueueName.FollowUpReminder].getDelayedCount()).toBe(0);
    });

    it('a suggestion accepted after its due date passed is due an hour of opening time later: no reminder or overdue escalation at once', async () => {
      expect((await run('log acme "The dashboard keeps crashing, we are really unhappy" --new')).tone).toBe('success');
      const followUp = await eventually(
        'the suggestion recorded on its follow-up',
        async () => (await h.test.db.prisma.followUp.findFirst({ where: { messageRef: { not: null } } })) ?? undefined,
      );
      // It waited over a weekend: its due date passed three days ago.
      const pastDue = new Date(Date.now() - 3 * 86_400_000);
      await h.test.db.prisma.followUp.update({ where: { id: followUp.id }, data: { dueAt: pastDue } });
      const accepted = await run(`accept ${followUp.number}`);
      expect(accepted.tone).toBe('success');
      expect(accepted.text).toMatch(
        /accepted; it was due .+, so it is due .+ now \(type "due \d+ <when>" to change it\)/,
      );
      const opened = await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } });
      expect(opened.status).toBe('open');
      // An hour of the default opening hours (Mon-Fri 09:00-17:00 UTC) from now: an hour later, or the next opening + 1 h.
      expect(opened.dueAt.getTime()).toBeGreaterThanOrEqual(Date.now() + 59 * 60_000);
      expect(opened.dueAt.getTime()).toBeLessThan(Date.now() + 4 * 86_400_000);
      expect(await h.queues[QueueName.FollowUpReminder].getJob(reminderJobId(opened.id, opened.dueAt))).toBeTruthy();
      const audit = await h.test.db.prisma.auditLog.findFirstOrThrow({
        where: { subject: followUp.id, action: 'followup.accept' },
      });
      expect(audit.details).toMatchObject({ previousDueAt: pastDue.toISOString(), dueAt: opened.dueAt.toISOString() });
      // Workers run: nothing fires for it now (before, the reminder and the escalation came within seconds).
      await new Promise((r) => setTimeout(r, 3_000));
      expect(h.console.feed().filter((e) => /^(Reminder|Overdue)/.test(e.reply.title ?? ''))).toEqual([]);
      expect(
        (await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).escalatedAt,
      ).toBeNull();

      // One whose due date is still ahead keeps it.
      const ahead = new Date(Date.now() + 2 * 86_400_000);
      const other = await h.test.db.prisma.followUp.create({
        data: {
          companyId: followUp.companyId,
          title: 'Call back',
          dueAt: ahead,
          status: 'suggested',
          source: 'suggested',
        },
      });
      expect((await run(`accept ${other.number}`)).text).toMatch(/: accepted\.$/);
      expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: other.id } })).dueAt).toEqual(ahead);
    });

    it('keys queues under a Redis Cluster hash tag and exports queue metrics', async () => {
      await run('log "Globex Corp" "Can you send us a quote for 50 seats by Friday?" --new');
      await eventually('a classification', async () => (await h.test.db.prisma.classification.count()) === 1);
      const keys = await h.redis.keys(`${h.prefix}:${QueueName.ClassifyCommunication}:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(h.prefix).toMatch(/^\{.*\}$/);
      const metrics = await h.metrics.metrics();
      expect(metrics).toMatch(/rapport_queue_jobs\{queue="classify-communication",state="waiting"\} 0/);
      expect(metrics).toMatch(/rapport_job_latency_seconds_count\{queue="classify-communication"\} 1/);
    });
  },
);
