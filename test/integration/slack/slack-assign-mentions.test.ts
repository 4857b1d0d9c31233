import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackSignature } from '../../helpers/slack-requests.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';

// Issue 20: with `should_escape: true` Slack sends `/crm assign 3 @bob` as "assign 3 <@U0REP2|bob>"
// (or "<@U0REP2>"); a colleague who never used Rapport is named through users.info.
describe('Slack: assign to escaped mentions of colleagues who never used Rapport', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  const logLines: string[] = [];
  let proc: RunningProcess;
  let triggers = 0;

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM`, LOG_LEVEL: 'info' },
      name: 'slack-assign',
      logger: loggerInto(logLines, 'info'),
    });
    slack = bot.slack;
    proc = bot.test.proc;
  });
  afterAll(async () => {
    await bot?.dispose();
  });

  /** A /crm slash command as Slack posts it (form-encoded, signed), and its ephemeral answer. */
  async function crm(text: string, user = 'U1'): Promise<string> {
    const triggerId = `trigger-${++triggers}`;
    const body = new URLSearchParams({
      token: 'legacy',
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: 'CSALES',
      channel_name: 'sales',
      user_id: user,
      user_name: 'jo',
      command: '/crm',
      text,
      api_app_id: 'A1',
      response_url: slack.responseUrl(`command-${triggerId}`),
      trigger_id: triggerId,
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(`${proc.url}/slack/events`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': slackSignature(body, ts, SECRET),
      },
      body,
    });
    expect(res.status).toBe(200);
    // Generous: on a loaded two-core machine the first command also warms the classifier.
    const answer = await eventually(
      `the answer to "${text}"`,
      async () => slack.callsTo(`respond/command-${triggerId}`)[0],
      60_000,
    );
    return JSON.stringify(answer.body);
  }

  it('finds or registers the mentioned person by Slack id, named by users.info', async () => {
    slack.users.set('U0REP3', {
      tz: 'Europe/Paris',
      profile: { display_name: 'Carla', email: 'carla@example.com' },
    });
    await crm('log "Initrode" "Met at the fair" --new');
    const reminded = await crm('remind initrode tomorrow 9am send the deck');
    const number = Number(/#(\d+)/.exec(reminded)?.[1]);
    expect(number).toBeGreaterThan(0);

    expect(await crm(`assign ${number} <@U0REP2|bob>`)).toMatch(/assigned to /);
    const db = proc.runtime.db.prisma;
    const bob = await db.rep.findFirstOrThrow({ where: { platformUserIds: { has: `slack:${TEAM}/U0REP2` } } });
    expect((await db.followUp.findUniqueOrThrow({ where: { number } })).assigneeRepId).toBe(bob.id);

    expect(await crm(`assign ${number} <@U0REP3>`)).toMatch(/assigned to Carla/);
    const carla = await db.rep.findFirstOrThrow({ where: { platformUserIds: { has: `slack:${TEAM}/U0REP3` } } });
    expect(carla).toMatchObject({ name: 'Carla', email: 'carla@example.com', timezone: 'Europe/Paris' });
    expect(slack.calls.some((c) => c.method === 'users.info' && c.body.user === 'U0REP3')).toBe(true);

    // A guest (a customer invited into the workspace) is never given the team's follow-ups.
    slack.users.set('U0GUEST', { is_restricted: true, profile: { display_name: 'Customer Chris' } });
    expect(await crm(`assign ${number} <@U0GUEST|chris>`)).toMatch(/guest or from another organisation/);
    expect(await db.rep.count({ where: { platformUserIds: { has: `slack:${TEAM}/U0GUEST` } } })).toBe(0);

    // Carla's first own command finds the rep the assignment registered.
    await crm('followups', 'U0REP3');
    expect(await db.rep.count({ where: { platformUserIds: { has: `slack:${TEAM}/U0REP3` } } })).toBe(1);
  });
});
