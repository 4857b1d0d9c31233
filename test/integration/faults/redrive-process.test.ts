import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { recordCardRetractionsIn } from '../../../jobs/card-changes.ts';
import { eraseCustomerAndCards } from '../../../src/services/erase-customer.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackWorkspace } from '../../helpers/slack-command.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM';

/**
 * An erasure commits with its card retractions written down, and the process that ran it dies before it
 * queues them (nothing in Redis): only a running bot's periodic reconcile can take the erased customer's
 * words out of the team channel. Here that run is the bot's own, on its schedule (RAPPORT_RECONCILE_SECONDS),
 * not called by the test: were the schedule lost, or the run not to look at quiet retractions, the card
 * would keep the customer's words.
 */
describe("a running bot takes back an erased customer's card whose retraction was never queued", () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  const workspace = slackWorkspace(() => ({ url: proc.url, slack }), TEAM, DEFAULT);

  beforeAll(async () => {
    bot = await startSlackTestBot({
      database: 'postgres',
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${DEFAULT}`, RAPPORT_RECONCILE_SECONDS: '5' },
      name: 'redrive-process',
      beforeStart: (slack) => {
        slack.users.set('UADMIN', { is_admin: true, profile: { display_name: 'boss', email: 'boss@ours.example' } });
        slack.channelMembers.set(DEFAULT, ['UBOT', 'UADMIN']);
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  }, 120_000);
  afterAll(async () => {
    await bot?.dispose();
  });

  it('at its periodic run, once the retraction has been quiet a minute', async () => {
    const { db } = proc.runtime;
    const { card } = await workspace.customerWithCard(
      db,
      'Initrode',
      'The stapler order is late again, we are unhappy and want a refund',
    );
    const company = await db.prisma.company.findFirstOrThrow({ where: { name: 'Initrode' } });
    const rep = await findOrCreateRep(db.prisma, {
      platform: 'console',
      platformUserId: 'ops',
      displayName: 'Ops',
      timezone: 'UTC',
    });
    // Another process erases the customer: the retraction commits with the erasure, then that process dies
    // before queuing it (no `cardsRetracted`).
    await eraseCustomerAndCards(
      db,
      company.id,
      { repId: rep.id, platform: 'console' },
      { ...noopPipelineHooks, recordCardRetractions: recordCardRetractionsIn },
    );
    expect(await db.prisma.company.count({ where: { name: 'Initrode' } })).toBe(0);
    const shown = () => slack.messages.find((m) => m.channel === DEFAULT && m.ts === card.ts);
    expect(JSON.stringify(shown()?.blocks)).toMatch(/stapler/);
    // A minute goes by (a retraction younger than that may be on its way from the process that wrote it).
    await db.sql.query(
      `UPDATE "Delivery" SET "createdAt" = now() - interval '2 minutes', "updatedAt" = now() - interval '2 minutes'
        WHERE payload->>'kind' = 'retract'`,
    );
    await eventually(
      'the card replaced by the erased line',
      async () => {
        const now = shown();
        return now?.edited && /Erased/.test(now.text ?? '') ? now : undefined;
      },
      60_000,
    );
    expect(JSON.stringify(slack.messages.filter((m) => m.channel === DEFAULT))).not.toMatch(/stapler|refund|Initrode/);
  }, 180_000);
});
