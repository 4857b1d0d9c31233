import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { slackSlashCommand } from '../../helpers/slack-command.ts';
import { eventCallbackBody, postSignedToSlackEvents } from '../../helpers/slack-requests.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import {
  SPAWNED_SLACK_SECRET,
  spawnedSlackBots,
  twoBots,
  type SpawnedSlackBots,
} from '../../helpers/spawned-slack-bot.ts';

const TEAM = 'T1';
const CHANNEL = 'CSALES';

/**
 * Two bot processes behind one load balancer (one database, one Redis prefix). Slack sends user_change
 * (a member made a guest) to one of them, A; B had read the person's profile a moment before and kept
 * it for the hour the users.info cache holds it, answering them as a rep. A tells every process over
 * Redis: B refuses them at their next command.
 */
describe('Slack: user_change heard by one process reaches every process', () => {
  let bots: SpawnedSlackBots | undefined;
  let a: SpawnedRapport;
  let b: SpawnedRapport;

  const lookup = async (to: SpawnedRapport, userId: string) =>
    JSON.stringify(
      (
        await slackSlashCommand(
          { url: bots!.urlOf(to), slack: bots!.slack, secret: SPAWNED_SLACK_SECRET },
          { teamId: TEAM, channelId: CHANNEL, userId, text: 'lookup acme', ephemeral: true },
        )
      ).body,
    );

  beforeAll(async () => {
    bots = await spawnedSlackBots('slack-user-change-procs', { teamId: TEAM, defaultChannel: 'CTEAM' });
    bots.slack.users.set('UDEE', { profile: { display_name: 'dee', email: 'dee@ours.example' } });
    bots.slack.channelMembers.set(CHANNEL, ['UBOT', 'UDEE']);
    await bots.db.prisma.company.create({ data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] } });
    ({ a, b } = await twoBots(bots));
  }, 400_000);
  afterAll(async () => {
    await bots?.dispose();
  }, 60_000);

  it('process B refuses a member made a guest at the next command after process A got user_change', async () => {
    // Both processes know Dee as a member (each has read and kept her profile).
    expect(await lookup(a, 'UDEE')).toMatch(/Acme/);
    expect(await lookup(b, 'UDEE')).toMatch(/Acme/);

    // Slack now says Dee is a guest, and tells the app so: the event reaches process A only.
    bots!.slack.users.set('UDEE', {
      is_restricted: true,
      profile: { display_name: 'dee', email: 'dee@ours.example' },
    });
    const event = {
      type: 'user_change',
      user: { id: 'UDEE', team_id: TEAM, name: 'dee', is_restricted: true, profile: { display_name: 'dee' } },
      cache_ts: Math.floor(Date.now() / 1000),
    };
    const res = await postSignedToSlackEvents(
      bots!.urlOf(a),
      SPAWNED_SLACK_SECRET,
      eventCallbackBody(TEAM, event, 'EvUserChangeProcs1'),
      'application/json',
    );
    expect(res.status).toBe(200);

    // B, which never got the event, refuses her (within moments, not the hour its cache would hold her).
    const refused = await eventually(
      'process B refusing the guest',
      async () => {
        const answer = await lookup(b, 'UDEE');
        return /people from outside that team/.test(answer) ? answer : undefined;
      },
      15_000,
    );
    expect(refused).not.toMatch(/acme\.example/);
    expect(await lookup(a, 'UDEE')).toMatch(/people from outside that team/);
  }, 120_000);
});
