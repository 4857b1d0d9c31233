import type { ModalView, PlainTextOption } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const ORG = 'E1';
const TOKEN = 'xoxb-test-token';
const OUTSIDER_ASSIGNEE =
  'That person is a guest or from another organisation, so they cannot be given follow-ups. Assign it to someone on your team.';
const OUTSIDER = /people from outside that team \(guests and other organisations\) cannot use it/;

// Enterprise Grid: SLACK_BOT_TOKEN is the bot of workspace T1 of org E1 (auth.test names both). In Grid,
// interaction payloads carry the org's id as user.team_id; some carry no team for the person at all (a
// message shortcut's `user` has no team_id and its `team` may be null, a users_select gives only a user
// id, an event outside a shared channel has no user_team). Then users.info decides: its
// enterprise_user.enterprise_id must be E1. A Slack Connect member of another organisation is an outsider.
describe('Slack in an Enterprise Grid org: a person is ours only when Slack says so, never for want of a team', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let seq = 0;
  const trigger = () => `grid-trigger-${++seq}`;

  beforeAll(async () => {
    bot = await startSlackTestBot({
      env: { RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM`, LOG_LEVEL: 'silent' },
      name: 'slack-grid',
      beforeStart: (slack) => {
        slack.issueToken({
          botToken: TOKEN,
          teamId: TEAM,
          teamName: 'Acme Sales',
          enterpriseId: ORG,
          enterpriseName: 'Acme Org',
          orgTeams: [TEAM, 'T2'],
          scopes: [],
        });
        // A member of the org's other workspace; Slack Connect members of a plain workspace and of another org.
        slack.users.set('USIBLING', {
          team_id: 'T2',
          enterprise_user: { id: 'USIBLING', enterprise_id: ORG, enterprise_name: 'Acme Org', teams: ['T2'] },
          profile: { display_name: 'Sibyl' },
        });
        slack.users.set('UCONNECT', { team_id: 'TCUSTOMER', enterprise_user: undefined });
        slack.users.set('UCONNECTORG', {
          team_id: 'T9',
          enterprise_user: { id: 'UCONNECTORG', enterprise_id: 'E9', enterprise_name: 'Customer Org', teams: ['T9'] },
        });
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  }, 60_000);

  afterAll(async () => {
    await bot?.dispose();
  });

  const post = (body: string, contentType: string) =>
    postSignedToSlackEvents(proc.url, SECRET, body, contentType).then((res) => {
      expect(res.status).toBe(200);
      return res;
    });
  const interaction = (payload: Record<string, unknown>) =>
    post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
  const team = { id: TEAM, domain: 'acme-sales', enterprise_id: ORG, enterprise_name: 'Acme Org' };
  const enterprise = { id: ORG, name: 'Acme Org' };
  const reps = (user: string) =>
    proc.runtime.db.prisma.rep.count({ where: { platformUserIds: { has: `slack:${TEAM}/${user}` } } });

  /** A /crm command of a member of the org (Grid: the command's team_id is the workspace, enterprise_id the org). */
  async function crm(text: string, user = 'U1'): Promise<string> {
    const triggerId = trigger();
    await post(
      new URLSearchParams({
        token: 'legacy',
        team_id: TEAM,
        team_domain: 'acme-sales',
        enterprise_id: ORG,
        enterprise_name: 'Acme Org',
        channel_id: 'CSALES',
        channel_name: 'sales',
        user_id: user,
        user_name: user.toLowerCase(),
        command: '/crm',
        text,
        api_app_id: 'A1',
        response_url: slack.responseUrl(`command-${triggerId}`),
        trigger_id: triggerId,
      }).toString(),
      'application/x-www-form-urlencoded',
    );
    const answer = await eventually(
      `the answer to "${text}"`,
      async () => slack.callsTo(`respond/command-${triggerId}`)[0],
      60_000,
    );
    return JSON.stringify(answer.body);
  }

  it('"New follow-up" (its users_select names no team) refuses a Slack Connect member as assignee and takes a member of the org\'s other workspace', async () => {
    const globex = await proc.runtime.db.prisma.company.create({ data: { name: 'Globex', normalizedName: 'globex' } });
    const opened = trigger();
    await interaction({
      type: 'shortcut',
      callback_id: 'new_follow_up',
      trigger_id: opened,
      user: { id: 'U1', username: 'u1', team_id: ORG },
      team,
      enterprise,
      is_enterprise_install: false,
      token: 'legacy',
      action_ts: '1',
    });
    const view = await eventually(
      'the New follow-up modal',
      async () => slack.callsTo('views.open').find((c) => c.body.trigger_id === opened)?.body.view as ModalView,
    );
    const suggested = await interaction({
      type: 'block_suggestion',
      action_id: 'rapport_customer',
      block_id: 'customer',
      value: 'globex',
      api_app_id: 'A1',
      token: 'legacy',
      team,
      enterprise,
      user: { id: 'U1', name: 'u1', team_id: ORG },
      container: { type: 'view', view_id: 'V0' },
      view: { ...view, id: 'V0', state: { values: {} } },
    });
    const option = ((await suggested.json()) as { options: PlainTextOption[] }).options[0];
    const due = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const submit = async (viewId: string, assignee: string) => {
      const res = await interaction({
        type: 'view_submission',
        team,
        enterprise,
        is_enterprise_install: false,
        user: { id: 'U1', username: 'u1', name: 'u1', team_id: ORG },
        api_app_id: 'A1',
        token: 'legacy',
        trigger_id: trigger(),
        view: {
          ...view,
          id: viewId,
          team_id: TEAM,
          hash: `h-${seq}`,
          app_id: 'A1',
          bot_id: 'B1',
          state: {
            values: {
              customer: { rapport_customer: { type: 'external_select', selected_option: option } },
              title: { title: { type: 'plain_text_input', value: 'Send Globex the contract' } },
              due: { due: { type: 'datetimepicker', selected_date_time: due } },
              assignee: { assignee: { type: 'users_select', selected_user: assignee } },
            },
          },
        },
        response_urls: [],
      });
      const text = await res.text();
      return (text ? JSON.parse(text) : {}) as { response_action?: string; errors?: Record<string, string> };
    };

    for (const [viewId, user] of [
      ['VGRID1', 'UCONNECT'],
      ['VGRID2', 'UCONNECTORG'],
    ] as const) {
      const refused = await submit(viewId, user);
      expect(refused.response_action, user).toBe('errors');
      expect(refused.errors, user).toEqual({ assignee: OUTSIDER_ASSIGNEE });
      expect(await reps(user), user).toBe(0);
    }
    expect(await proc.runtime.db.prisma.followUp.count({ where: { companyId: globex.id } })).toBe(0);

    expect((await submit('VGRID3', 'USIBLING')).response_action).toBe('update');
    const created = await proc.runtime.db.prisma.followUp.findFirstOrThrow({
      where: { companyId: globex.id },
      include: { assignee: true },
    });
    expect(created.assignee?.platformUserIds).toEqual([`slack:${TEAM}/USIBLING`]);
  });

  it("typed assign takes a member of the org's other workspace and refuses Slack Connect members", async () => {
    await crm('log "Hooli" "Met at the fair" --new');
    const number = Number(/#(\d+)/.exec(await crm('remind hooli tomorrow 9am send the deck'))?.[1]);
    expect(number).toBeGreaterThan(0);
    expect(await crm(`assign ${number} <@USIBLING|sibyl>`)).toMatch(/assigned to Sibyl/);
    for (const user of ['UCONNECT', 'UCONNECTORG'])
      expect(await crm(`assign ${number} <@${user}>`), user).toContain(OUTSIDER_ASSIGNEE);
  });

  it('"Log to CRM" from a Slack Connect member whose payload names no team for them (user without team_id, team null) is refused', async () => {
    const triggerId = trigger();
    await interaction({
      type: 'message_action',
      callback_id: 'log_to_crm',
      trigger_id: triggerId,
      message_ts: '1700000900.000100',
      response_url: slack.responseUrl(`shortcut-${triggerId}`),
      message: { type: 'message', ts: '1700000900.000100', text: 'Please send the quote', user: 'UCONNECT' },
      user: { id: 'UCONNECT', name: 'chris' },
      channel: { id: 'CSHARED', name: 'acme-globex' },
      team: null,
      enterprise,
      is_enterprise_install: false,
      token: 'legacy',
      action_ts: String(Date.now() / 1000),
    });
    // Either the refusal or (were they taken for a member) the "Log to CRM" modal.
    await eventually(
      'the refusal or the modal',
      async () =>
        slack.callsTo(`respond/shortcut-${triggerId}`)[0] ??
        slack.callsTo('views.open').find((c) => c.body.trigger_id === triggerId),
      30_000,
    );
    expect(slack.callsTo('views.open').some((c) => c.body.trigger_id === triggerId)).toBe(false);
    expect(String(slack.callsTo(`respond/shortcut-${triggerId}`)[0]?.body.text)).toMatch(OUTSIDER);
  });

  it('@Rapport from a Slack Connect member in an event without user_team is refused', async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000200`;
    await post(
      JSON.stringify({
        token: 'legacy',
        team_id: TEAM,
        enterprise_id: ORG,
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: `EvGrid${++seq}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          { enterprise_id: ORG, team_id: TEAM, user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
        ],
        event: {
          type: 'app_mention',
          user: 'UCONNECT',
          text: '<@UBOT> followups all',
          ts,
          channel: 'CSHARED',
          event_ts: ts,
        },
      }),
      'application/json',
    );
    const answer = await eventually('the answer to the mention', async () =>
      [...slack.callsTo('chat.postEphemeral'), ...slack.callsTo('chat.postMessage')].find(
        (c) => c.body.channel === 'CSHARED' && c.body.thread_ts === ts,
      ),
    );
    expect(JSON.stringify(answer.body)).toMatch(OUTSIDER);
    expect(await reps('UCONNECT')).toBe(0);
  });
});
