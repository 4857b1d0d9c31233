import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { createQueues, closeQueues } from '../../../jobs/queues.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackSlashCommand } from '../../helpers/slack-command.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const CARDS = 'CTEAM';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Slack is down when two reminders fall due, so their posts fail and wait for a retry. Meanwhile the rep
 * snoozes one to next Monday and marks the other done (real /crm commands through Bolt). When Slack is
 * back, the one's BullMQ retry and the other's redrive by the bot's periodic reconcile (its job gone, as
 * after its attempts ran out) find the follow-ups moved on: no "Reminder" card is posted, the deliveries
 * are `skipped` and the follow-ups' messageRef stays unset. Before, both posted a fresh Reminder card
 * (with live buttons) and moved messageRef to it.
 */
describe('a reminder whose post waited out a Slack outage, snoozed or done meanwhile', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let commands = 0;

  beforeAll(async () => {
    bot = await startSlackTestBot({
      database: 'postgres',
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${CARDS}`, RAPPORT_RECONCILE_SECONDS: '5' },
      name: 'stale-reminder',
      beforeStart: (slack) => slack.channelMembers.set(CARDS, ['UBOT', 'U1']),
    });
    slack = bot.slack;
    proc = bot.test.proc;
  }, 120_000);
  afterAll(async () => {
    await bot?.dispose();
  });

  /** `/crm <text>` from U1 while Slack is down: acknowledged and run, its answer to the response_url lost. */
  async function commandDuringOutage(text: string): Promise<void> {
    const triggerId = `trigger-stale-${++commands}`;
    const res = await postSignedToSlackEvents(
      proc.url,
      SLACK_TEST_SECRET,
      slashCommandBody({
        teamId: TEAM,
        channelId: 'CSALES',
        userId: 'U1',
        text,
        triggerId,
        responseUrl: slack.responseUrl(`cmd-${triggerId}`),
      }),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
  }

  it('is not posted when Slack is back: skipped by the retry and by the redrive', async () => {
    const { db, hooks } = proc.runtime;
    // U1 is known (and vouched for by users.info, cached) before the outage.
    await slackSlashCommand(
      { url: proc.url, slack },
      { teamId: TEAM, channelId: 'CSALES', userId: 'U1', text: 'followups', ephemeral: true },
    );
    const rep = await db.prisma.rep.findFirstOrThrow({ where: { platformUserIds: { has: `slack:${TEAM}/U1` } } });
    const audit = { repId: rep.id, platform: 'slack' };
    const open = async (name: string) =>
      createFollowUp(
        db,
        {
          companyId: (await createCustomer(db.prisma, name, audit)).id,
          title: `Call ${name} back`,
          dueAt: new Date(Date.now() + 3_600_000),
          assigneeRepId: rep.id,
          actor: audit,
          fallbackRemindTarget: `slack:${TEAM}/${CARDS}`,
        },
        hooks,
      );
    const snoozed = await open('Vandelay');
    const done = await open('Kramerica');
    // A reminder posted before the outage: the card channel was checked (the last-step guard keeps the
    // answer a minute), so the outage meets the posts themselves, not the check.
    const earlier = await open('Pendant');
    await db.prisma.followUp.update({ where: { id: earlier.id }, data: { dueAt: new Date() } });
    await hooks.followUpChanged(earlier.id);
    await eventually('the earlier reminder in the card channel', async () =>
      slack.messages.some((m) => m.channel === CARDS && String(m.metadata?.event_payload.key).includes(earlier.id)),
    );

    // Slack goes down; then both fall due.
    await slack.refuse();
    await new Promise((r) => setTimeout(r, 500));
    const due = new Date(Date.now() + 300);
    for (const f of [snoozed, done]) {
      await db.prisma.followUp.update({ where: { id: f.id }, data: { dueAt: due } });
      await hooks.followUpChanged(f.id);
    }
    const keyOf = (f: { id: string }) => `reminder-${f.id}-${due.getTime()}`;
    const delivery = (f: { id: string }) => db.prisma.delivery.findUnique({ where: { key: keyOf(f) } });
    await eventually(
      'both reminders tried and failed during the outage',
      async () => {
        const rows = await Promise.all([snoozed, done].map(delivery));
        return rows.every((d) => d && d.status !== 'sent' && d.lastError);
      },
      30_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${JSON.stringify(await db.prisma.delivery.findMany())}`);
    });

    // The one to be marked done loses its job (as when its attempts run out during a long outage): only
    // a redrive brings it back, once its row has been quiet a minute.
    const redis = connectRedis(REDIS_URL);
    const queues = createQueues(redis, bot!.test.prefix);
    try {
      await eventually('the done reminder job removed', async () => {
        const job = await queues[QueueName.DeliverMessage].getJob(keyOf(done));
        if (!job) return true;
        return job.remove().then(
          () => true,
          () => false,
        );
      });
    } finally {
      await closeQueues(queues);
      await redis.quit();
    }

    // The rep snoozes one to next Monday and marks the other done, through /crm.
    await commandDuringOutage(`snooze ${snoozed.number} next monday 9:00`);
    await commandDuringOutage(`done ${done.number}`);
    await eventually('the snooze and the done', async () => {
      const [a, b] = await Promise.all(
        [snoozed, done].map((f) => db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })),
      );
      return a.status === 'snoozed' && a.dueAt.getTime() > due.getTime() + 3_600_000 && b.status === 'done';
    });

    // Slack is back: the snoozed one's retry runs, and the done one's row has been quiet a minute, so the
    // bot's periodic reconcile drives it again.
    await slack.resume();
    await db.sql.query(
      `UPDATE "Delivery" SET "updatedAt" = now() - interval '2 minutes', "nextRedriveAt" = NULL WHERE key = $1`,
      [keyOf(done)],
    );
    const settled = await eventually(
      'both deliveries settled',
      async () => {
        const rows = await Promise.all([snoozed, done].map(delivery));
        return rows.every((d) => d?.status === 'skipped' || d?.status === 'sent') ? rows : undefined;
      },
      60_000,
    );
    const reminderPosts = slack.messages.filter((m) =>
      [snoozed, done].some((f) => String(m.metadata?.event_payload.key ?? '').includes(f.id)),
    );
    expect(reminderPosts.map((m) => m.text)).toEqual([]);
    expect(settled.map((d) => d?.status)).toEqual(['skipped', 'skipped']);
    expect(settled[0]?.lastError).toMatch(/due .* now, not/);
    expect(settled[1]?.lastError).toMatch(/done now/);
    expect(settled[1]?.redrives).toBeGreaterThanOrEqual(1);
    for (const f of [snoozed, done])
      expect((await db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).messageRef).toBeNull();
  }, 180_000);
});
