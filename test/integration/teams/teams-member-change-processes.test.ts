import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/pipeline-harness.ts';
import type { SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { spawnedSlackBots, twoBots, type SpawnedSlackBots } from '../../helpers/spawned-slack-bot.ts';
import { TEST_BOT } from '../../helpers/teams-process.ts';
import { TeamsRecorder, type RecordedMember } from '../../helpers/teams-recorder.ts';

const tenant = { id: 'tenant-ours' };
const TEAM = '19:team-ours@thread.tacv2';
const CHANNEL = '19:general-members@thread.tacv2';
const ann = { id: '29:ann-left', name: 'Ann Leaving', aadObjectId: 'aad-ann-left' };
const ANN: RecordedMember = { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' };
const personalOfAnn = { id: 'a:personal-ann-left', conversationType: 'personal', tenantId: tenant.id };
const UNVERIFIED = /Rapport could not check who you are right now/;

/**
 * Two bot processes behind one load balancer, Teams in Emulator mode against the Bot Connector recorder.
 * Process B answered Ann's command and remembers Teams' member record for an hour (the member cache, its
 * answer while getMember fails). Teams says Ann was removed from the team (a conversationUpdate with
 * membersRemoved), to process A only. A tells every process over Redis: while Teams' member API fails,
 * B no longer answers Ann as the member she was.
 */
describe('Teams: a member removed, heard by one process, is forgotten by every process', () => {
  const recorder = new TeamsRecorder();
  let bots: SpawnedSlackBots | undefined;
  let a: SpawnedRapport;
  let b: SpawnedRapport;
  let seq = 0;

  const send = async (to: SpawnedRapport, activity: Record<string, unknown>) => {
    const res = await fetch(`${bots!.urlOf(to)}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `act-${++seq}`,
        channelId: 'msteams',
        serviceUrl: recorder.url,
        timestamp: new Date().toISOString(),
        recipient: TEST_BOT,
        channelData: { tenant },
        ...activity,
      }),
    });
    expect(res.status).toBe(200);
  };
  /** What the bot sent since `mark`, after Ann's `lookup acme` in her 1:1 chat with process `to`. */
  const lookup = async (to: SpawnedRapport) => {
    const mark = recorder.calls.length;
    await send(to, { type: 'message', conversation: personalOfAnn, from: ann, text: 'lookup acme' });
    return JSON.stringify(recorder.calls.slice(mark).map((c) => c.activity));
  };

  beforeAll(async () => {
    await recorder.start();
    recorder.setMembers(CHANNEL, [ANN]);
    recorder.setMembers(personalOfAnn.id, [ANN]);
    bots = await spawnedSlackBots('teams-member-change-procs', {
      teamId: 'T1',
      defaultChannel: 'CTEAM',
      env: { TEAMS_ENABLED: 'true', MICROSOFT_APP_TENANT_ID: tenant.id },
    });
    await bots.db.prisma.company.create({ data: { name: 'Acme', normalizedName: 'acme', domains: ['acme.example'] } });
    ({ a, b } = await twoBots(bots));
  }, 400_000);
  afterAll(async () => {
    await bots?.dispose();
    await recorder.stop();
  }, 60_000);

  it('process B, whose getMember fails, does not answer Ann as a member after process A heard she was removed', async () => {
    // Teams answers for Ann at B: B remembers her as a member.
    expect(await lookup(b)).toMatch(/Acme/);

    // Ann is removed from the team; Teams tells process A (the conversationUpdate of a team channel).
    recorder.setMembers(CHANNEL, []);
    recorder.failingMembers.add(ann.id);
    await send(a, {
      type: 'conversationUpdate',
      conversation: { id: CHANNEL, conversationType: 'channel', isGroup: true, tenantId: tenant.id },
      from: { id: '29:admin', name: 'Admin' },
      membersRemoved: [{ id: ann.id, aadObjectId: ann.aadObjectId }],
      channelData: { tenant, team: { id: TEAM }, channel: { id: CHANNEL }, eventType: 'teamMemberRemoved' },
    });

    // Teams' member API fails at B now: what B remembered of Ann no longer vouches for her.
    const refused = await eventually(
      'process B refusing Ann while Teams cannot say who she is',
      async () => {
        const answer = await lookup(b);
        return UNVERIFIED.test(answer) ? answer : undefined;
      },
      15_000,
    );
    expect(refused).not.toMatch(/acme\.example/);
  }, 120_000);
});
