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
  it('refuses like the New follow-up form: a mention Slack cannot check now, a stored Rep Slack now calls a guest, a customer address; nothing assigned, no Rep made', async () => {
    const db = proc.runtime.db.prisma;
    await crm('log "Umbrella" "Met at the fair" --new');
    const number = Number(/#(\d+)/.exec(await crm('remind umbrella tomorrow 9am send the deck'))?.[1]);
    expect(number).toBeGreaterThan(0);
    const assignee = async () => (await db.followUp.findUniqueOrThrow({ where: { number } })).assigneeRepId;
    const before = await assignee();

    // users.info fails for the mentioned person: nobody is registered under the mention's name.
    slack.failingUsers.add('U0DOWN');
    expect(await crm(`assign ${number} <@U0DOWN|dan>`)).toContain(
      'Rapport could not check who that is right now (the platform did not answer), so nobody was assigned.',
    );
    expect(await db.rep.count({ where: { platformUserIds: { has: `slack:${TEAM}/U0DOWN` } } })).toBe(0);
    slack.failingUsers.delete('U0DOWN');

    // A Rep stored for someone Slack now calls a guest (registered before assignees were checked), by
    // mention and by name; and one of another organisation.
    await db.rep.create({ data: { name: 'Gus Guest', timezone: 'UTC', platformUserIds: [`slack:${TEAM}/U0WASREP`] } });
    slack.users.set('U0WASREP', { is_restricted: true });
    await db.rep.create({ data: { name: 'Olga', timezone: 'UTC', platformUserIds: [`slack:${TEAM}/U0OTHERORG`] } });
    slack.users.set('U0OTHERORG', { team_id: 'TCUSTOMER' });
    for (const who of ['<@U0WASREP|gus>', '<@U0WASREP>', 'Gus Guest', '<@U0OTHERORG>', 'olga'])
      expect(await crm(`assign ${number} ${who}`), who).toContain(
        'That person is a guest or from another organisation, so they cannot be given follow-ups.',
      );

    // A customer's address (a Slack Connect member's, as Slack shows it) is not a colleague's email.
    const umbrella = await db.company.findFirstOrThrow({ where: { normalizedName: 'umbrella' } });
    await db.company.update({ where: { id: umbrella.id }, data: { domains: ['umbrella-corp.example'] } });
    await db.contact.create({
      data: { name: 'Vera', normalizedName: 'vera', companyId: null, emails: ['vera@freelance.example'] },
    });
    expect(await crm(`assign ${number} chris@umbrella-corp.example`)).toContain(
      'chris@umbrella-corp.example is on the domain of the customer Umbrella, not someone on your team, so it cannot be given follow-ups.',
    );
    expect(await crm(`assign ${number} <mailto:ann@eu.umbrella-corp.example|ann@eu.umbrella-corp.example>`)).toMatch(
      /on the domain of the customer Umbrella/,
    );
    expect(await crm(`assign ${number} vera@freelance.example`)).toContain(
      "vera@freelance.example is a customer contact's address, not someone on your team",
    );
    expect(
      await db.rep.count({
        where: {
          email: { in: ['chris@umbrella-corp.example', 'ann@eu.umbrella-corp.example', 'vera@freelance.example'] },
        },
      }),
    ).toBe(0);
    expect(await assignee()).toBe(before);

    // A colleague's work email still registers them.
    expect(await crm(`assign ${number} dora@example.com`)).toMatch(/assigned to dora/);
  });
});
