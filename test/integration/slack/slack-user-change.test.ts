import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackSlashCommand } from '../../helpers/slack-command.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

const TEAM = 'T1';
const CHANNEL = 'CSALES';

/**
 * A member made a guest in Slack (an admin converts a contractor's account, someone leaves for a customer)
 * kept a member's standing for the hour the users.info cache holds a profile: commands ran as a rep.
 * Slack sends user_change (manifest.json bot_events) when an account changes; the process that gets it
 * reads the profile again at the next use.
 */
describe('Slack: a member made a guest', () => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let seq = 0;
  const lookup = async (userId: string) =>
    JSON.stringify(
      (
        await slackSlashCommand(
          { url: bot!.test.proc.url, slack },
          { teamId: TEAM, channelId: CHANNEL, userId, text: 'lookup acme' },
        )
      ).body,
    );

  beforeAll(async () => {
    bot = await startSlackTestBot({
      name: 'slack-user-change',
      beforeStart: (s) => {
        s.users.set('UDEE', { profile: { display_name: 'dee', email: 'dee@ours.example' } });
      },
      acme: { domains: ['acme.example'] },
    });
    slack = bot.slack;
  });
  afterAll(async () => {
    await bot?.dispose();
  });

  it('is refused from the next command after user_change, not an hour later', async () => {
    expect(await lookup('UDEE')).toMatch(/Acme/);
    // Slack now says Dee is a guest, and tells the app so.
    slack.users.set('UDEE', { is_restricted: true, profile: { display_name: 'dee', email: 'dee@ours.example' } });
    const event = {
      type: 'user_change',
      user: { id: 'UDEE', team_id: TEAM, name: 'dee', is_restricted: true, profile: { display_name: 'dee' } },
      cache_ts: Math.floor(Date.now() / 1000),
    };
    const infos = slack.callsTo('users.info').length;
    const res = await postSignedToSlackEvents(
      bot!.test.proc.url,
      SECRET,
      eventCallbackBody(TEAM, event, `EvUserChange${++seq}`),
      'application/json',
    );
    expect(res.status).toBe(200);
    const refused = await eventually(
      'the lookup refused as a guest',
      async () => {
        const answer = await lookup('UDEE');
        return /people from outside that team/.test(answer) ? answer : undefined;
      },
      20_000,
    );
    expect(refused).not.toMatch(/acme\.example/);
    expect(slack.callsTo('users.info').length).toBeGreaterThan(infos);
  });

  it('a new status or name keeps the channel verdicts; a guest among the members makes the channel asked again', async () => {
    const channel = 'CSTATUS'; // a channel no other test asks about
    slack.channelMembers.set(channel, ['UBOT', 'UEVE']);
    slack.users.set('UEVE', { profile: { display_name: 'eve', email: 'eve@ours.example' } });
    const target = `slack:${TEAM}/${channel}`;
    const connector = bot!.test.proc.runtime.registry.forTarget(target);
    const infos = () => slack.callsTo('conversations.info').filter((c) => c.body.channel === channel).length;
    const userChange = async (user: Record<string, unknown>) => {
      const res = await postSignedToSlackEvents(
        bot!.test.proc.url,
        SECRET,
        eventCallbackBody(
          TEAM,
          { type: 'user_change', user, cache_ts: Math.floor(Date.now() / 1000) },
          `EvUserChange${++seq}`,
        ),
        'application/json',
      );
      expect(res.status).toBe(200);
    };
    expect(await connector.audience(target)).toBe('internal');
    expect(infos()).toBe(1);
    const lookups = () => slack.callsTo('users.info').filter((c) => c.body.user === 'UEVE').length;
    /** Bolt acknowledges before its listener runs: the event has been acted on once Eve's profile is read again. */
    const heard = async () => {
      const before = lookups();
      await eventually('the user_change acted on', async () => {
        await connector.audience(`slack:${TEAM}/@UEVE`);
        return lookups() > before;
      });
    };
    // Eve sets a status: the same member of the same workspace.
    await userChange({
      id: 'UEVE',
      team_id: TEAM,
      name: 'eve',
      profile: { display_name: 'eve', status_text: 'On holiday' },
    });
    expect(await connector.audience(target)).toBe('internal');
    expect(infos()).toBe(1);
    // Eve is made a guest: the channel is checked again at once, and found to have one.
    slack.users.set('UEVE', { is_restricted: true, profile: { display_name: 'eve', email: 'eve@ours.example' } });
    await userChange({ id: 'UEVE', team_id: TEAM, name: 'eve', is_restricted: true, profile: { display_name: 'eve' } });
    await heard();
    expect(await connector.audience(target)).toBe('external');
    expect(infos()).toBe(2);
  });
});
