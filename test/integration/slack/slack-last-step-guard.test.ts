import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Job } from 'bullmq';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { setTeamChannel } from '../../../src/services/team-channels.service.ts';
import { createLogger } from '../../../src/logger.ts';
import { deliverMessage } from '../../../jobs/deliver-message.job.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { TargetRateLimiter } from '../../../jobs/target-rate-limiter.ts';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import type { PipelineDeps } from '../../../jobs/pipeline-deps.ts';
import { SlackConnector } from '../../../connectors/slack/slack.connector.ts';
import { singleWorkspaceClients } from '../../../connectors/slack/slack-clients.ts';
import { SlackAudience } from '../../../connectors/slack/slack-audience.ts';
import { SlackUserDirectory } from '../../../connectors/slack/slack-user-directory.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM'; // the default team channel (RAPPORT_DEFAULT_CHANNEL)
const SHARED = 'CSHARED'; // Slack Connect with the customer's org
const PENDING = 'CPENDING'; // a Slack Connect invitation not accepted yet
const GUEST = 'CGUEST'; // internal channel, but a customer guest was invited
const BROKEN = 'CBROKEN'; // conversations.info fails
const OTHER_WORKSPACE = 'CWS'; // shared with another workspace (is_shared, not within our org)
const HUGE = 'CHUGE'; // more members than Rapport checks one by one
const slackTarget = (c: string) => `slack:${TEAM}/${c}`;

// The last-step guard in the real delivery job with the real Slack connector against the Web API
// recorder: whatever a card's target says, it never lands where someone outside the company reads.
// Tests run in any order (issue 16): they share the process, the audience cache, the recorder and the
// console feed, so a test that counts calls or caches an answer uses a channel of its own and counts
// from a mark taken when it starts.
describe('last-step guard: internal posts never reach a Slack channel with outsiders', () => {
  const slack = new SlackRecorder();
  let h: PipelineHarness;
  let deps: PipelineDeps;
  let seq = 0;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    slack.channels.set(SHARED, { is_ext_shared: true, is_shared: true, connected_team_ids: ['TACME'] });
    slack.channels.set(PENDING, { is_pending_ext_shared: true, pending_shared: ['TACME'] });
    slack.channelMembers.set(GUEST, ['UBOT', 'UREP', 'UJO']);
    slack.channels.set(OTHER_WORKSPACE, { is_shared: true, is_org_shared: false });
    slack.channelMembers.set(
      HUGE,
      Array.from({ length: 1_001 }, (_, i) => `U${i}`),
    );
    slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP']);
    slack.users.set('UJO', { is_restricted: true, profile: { email: 'jo@acme.example' } });
    h = await startPipelineHarness('pglite', { workers: false, settings: { defaultTarget: slackTarget(DEFAULT) } });
    const logger = createLogger('silent');
    const clients = singleWorkspaceClients('xoxb-test', { apiUrl, logger });
    const reading = (teamId: string) => clients.reading(teamId);
    // Slack's failed answers (a users.info, a channel's `unknown`) are kept a second here, not a minute and
    // 5 s: the outage tests wait for them to lapse.
    const users = new SlackUserDirectory(reading, logger, { failureCacheMs: 1_000 });
    const audiences = new SlackAudience(reading, users, logger, { unknownCacheMs: 1_000 });
    h.deps.registry.register(new SlackConnector(clients, logger, audiences));
    // No per-channel pacing here: these tests post several cards to one channel in a row.
    deps = { ...h.deps, limiter: new TargetRateLimiter(h.redis, `${h.prefix}:guard`, {}) };
  });
  afterAll(async () => {
    await h?.dispose();
    await slack.stop();
  });
  beforeEach(() => {
    slack.messages.length = 0;
  });

  async function reminderFor(target: string) {
    const actor = { platform: 'console' as const, platformUserId: `rep-${++seq}`, timezone: 'UTC' };
    const rep = await findOrCreateRep(h.test.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const company = await createCustomer(h.test.db.prisma, `Acme ${seq}`, audit);
    const f = await createFollowUp(
      h.test.db,
      {
        companyId: company.id,
        title: 'Call to understand why they want to leave',
        dueAt: new Date(Date.now() + 3_600_000),
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: target,
      },
      h.hooks,
    );
    const data: DeliverMessageData = { key: `reminder-${f.id}`, kind: 'reminder', target, followUpId: f.id };
    return { f, company, audit, data };
  }
  const run = (data: DeliverMessageData, d = deps) =>
    deliverMessage(new Job(h.queues[QueueName.DeliverMessage], 'reminder', data, { jobId: data.key }), undefined, d);
  const postedIn = (channel: string) => slack.messages.filter((m) => m.channel === channel);
  const updatesIn = (channel: string) => slack.callsTo('chat.update').filter((c) => c.body.channel === channel);

  it.each([
    [SHARED, 'a Slack Connect channel'],
    [PENDING, 'a channel with a pending Slack Connect invitation'],
    [GUEST, 'an internal channel with a guest in it'],
    [OTHER_WORKSPACE, 'a channel shared with another workspace'],
  ])('%s (%s): the reminder goes to the default team channel with a one-line notice', async (channel) => {
    const { data, f } = await reminderFor(slackTarget(channel));
    const outcome = await run(data);
    expect(outcome).toMatchObject({ status: 'sent', redirectedTo: slackTarget(DEFAULT) });
    expect(postedIn(channel)).toHaveLength(0);
    const [posted] = postedIn(DEFAULT);
    expect(JSON.stringify(posted.blocks)).toContain('Call to understand why they want to leave');
    expect(JSON.stringify(posted.blocks)).toContain(
      `Posted here instead of channel ${channel}: that channel has people from outside the company.`,
    );
    // Clicks and refreshes later update the card where it really is.
    expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).messageRef).toBe(
      `${slackTarget(DEFAULT)}|${posted.ts}`,
    );
  });

  it('an internal channel gets its reminder; the answer is cached (one conversations.info per channel)', async () => {
    const own = 'CINTERNALCACHE'; // a channel no other test asks about, so its first check happens here
    slack.channelMembers.set(own, ['UBOT', 'UREP', 'UANN']);
    const first = await reminderFor(slackTarget(own));
    const second = await reminderFor(slackTarget(own));
    expect(await run(first.data)).toMatchObject({ status: 'sent' });
    expect(await run(second.data)).not.toHaveProperty('redirectedTo');
    expect(postedIn(own)).toHaveLength(2);
    expect(slack.callsTo('conversations.info').filter((c) => c.body.channel === own)).toHaveLength(1);
  });

  it('Slack cannot say (conversations.info refused): unknown is not safe, the card is redirected and the team channel kept', async () => {
    const { data, company, audit } = await reminderFor(slackTarget(BROKEN));
    await setTeamChannel(
      h.test.db.prisma,
      { platform: 'slack', channelRef: `${TEAM}/${BROKEN}`, target: slackTarget(BROKEN) },
      company.id,
      audit,
    );
    // A platform error (ok: false) is not retried by the WebClient: one failure is the whole answer.
    slack.failNext('conversations.info', { error: 'invalid_arguments' });
    expect(await run(data)).toMatchObject({ status: 'sent', redirectedTo: slackTarget(DEFAULT) });
    expect(postedIn(BROKEN)).toHaveLength(0);
    expect(JSON.stringify(postedIn(DEFAULT)[0].blocks)).toContain('Rapport could not check who is in that channel');
    expect(await h.test.db.prisma.teamChannel.count({ where: { companyId: company.id } })).toBe(1);
  });

  it('Slack not answering who is in the channel (internal_error; Slack down): the reminder waits and goes to its channel once Slack answers', async () => {
    const outages: Array<[string, () => Promise<void>]> = [
      ['CWAITS1', async () => slack.failNext('conversations.info', { error: 'internal_error' })],
      ['CWAITS2', () => slack.refuse()],
      // conversations.info answers, but users.info about a member does not (kept a second as failed here).
      [
        'CWAITS3',
        async () => slack.failNext('users.info', { error: 'internal_error' }, (body) => body.user === 'UWAIT3'),
      ],
    ];
    for (const [own, outage] of outages) {
      // A channel no other test asks about: nothing cached for it.
      slack.channelMembers.set(own, own === 'CWAITS3' ? ['UBOT', 'UWAIT3'] : ['UBOT', 'UREP']);
      const { data, f } = await reminderFor(slackTarget(own));
      await outage();
      try {
        await expect(run(data)).rejects.toMatchObject({ code: 'temporary', mayHavePosted: false });
      } finally {
        if (own === 'CWAITS2') await slack.resume();
      }
      expect(slack.messages).toHaveLength(0);
      const row = await h.test.db.prisma.delivery.findUniqueOrThrow({ where: { key: data.key } });
      expect(row.status).toBe('pending');
      expect(row.lastError).toMatch(/Slack could not say who reads/);
      // The retries (a failed answer and a failed users.info are kept a second here): Slack answers, the
      // channel is internal, the reminder is posted there and only there.
      await eventually(
        'posted once Slack answers',
        () =>
          run(data).then(
            (o) => o.status === 'sent',
            () => false,
          ),
        30_000,
      );
      expect(postedIn(own)).toHaveLength(1);
      expect(postedIn(DEFAULT)).toHaveLength(0);
      expect((await h.test.db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).messageRef).toBe(
        `${slackTarget(own)}|${postedIn(own)[0].ts}`,
      );
      slack.messages.length = 0;
    }
  });

  it('Slack not answering for longer than a delivery waits (30 min from its first try): redirected as any doubtful place is', async () => {
    const own = 'CWAITSLONG';
    slack.channelMembers.set(own, ['UBOT', 'UREP']);
    const { data } = await reminderFor(slackTarget(own));
    await slack.refuse();
    try {
      await expect(run(data)).rejects.toMatchObject({ code: 'temporary' });
      // Its first try was 31 minutes ago, and Slack still does not answer.
      await h.test.db.sql.query(`UPDATE "Delivery" SET "createdAt" = now() - interval '31 minutes' WHERE key = $1`, [
        data.key,
      ]);
      // Where any doubtful place's post goes: here the default is the console feed (asking Slack about the
      // shared default channel now would leave its failed answer cached for the other tests).
      const consoleDefault = { ...deps, settings: { ...deps.settings, defaultTarget: 'console:team' } };
      expect(await run(data, consoleDefault)).toMatchObject({ status: 'sent', redirectedTo: 'console:team' });
    } finally {
      await slack.resume();
    }
    expect(postedIn(own)).toHaveLength(0);
  });

  it('a channel too large to check member by member is unknown: redirected, after paging through conversations.members', async () => {
    const { data } = await reminderFor(slackTarget(HUGE));
    const lookups = slack.callsTo('users.info').length;
    expect(await run(data)).toMatchObject({ status: 'sent', redirectedTo: slackTarget(DEFAULT) });
    expect(slack.callsTo('conversations.members').filter((c) => c.body.channel === HUGE).length).toBeGreaterThan(1);
    expect(
      slack
        .callsTo('users.info')
        .slice(lookups)
        .filter((c) => /^U\d+$/.test(String(c.body.user))),
    ).toHaveLength(0);
  });

  it('a card already posted in a channel that became shared is not updated any more', async () => {
    const own = 'CTURNSSHARED'; // internal until this test invites a guest into it
    slack.channelMembers.set(own, ['UBOT', 'UREP', 'UANN']);
    const { data, f } = await reminderFor(slackTarget(own));
    const posted = await run(data);
    expect(posted).toMatchObject({ status: 'sent' });
    expect(postedIn(own)).toHaveLength(1);
    // The channel gets a guest; Slack says so (member_joined_channel drops the cached answer).
    slack.channelMembers.set(own, ['UBOT', 'UREP', 'UJO']);
    (h.deps.registry.forTarget(slackTarget(own)) as SlackConnector).audiences.forget(TEAM, own);
    const refresh: DeliverMessageData = {
      key: `refresh-${f.id}`,
      kind: 'refresh',
      target: slackTarget(own),
      followUpId: f.id,
      externalId: posted.externalId,
    };
    expect(await run(refresh)).toEqual({ status: 'nothing-to-send' });
    expect(updatesIn(own)).toHaveLength(0);
    expect(slack.messages.filter((m) => m.edited)).toHaveLength(0);
  });

  // On the code before, the guard only turned the next post away: the cards already in the channel stayed
  // readable for the guest, and a refresh once the guest left put a taken-back card back.
  it('the guard finds a channel shared (its event missed): what was posted there is taken back, never refreshed again', async () => {
    const own = 'CGUARDTAKESBACK';
    slack.channelMembers.set(own, ['UBOT', 'UREP', 'UANN']);
    const first = await reminderFor(slackTarget(own));
    const posted = await run(first.data);
    const digest: DeliverMessageData = { key: `digest-${own}`, kind: 'digest', target: slackTarget(own) };
    const digestPosted = await run(digest);
    expect(postedIn(own)).toHaveLength(2);
    // A guest joins; this process never hears of it (another process got the event, or none did).
    slack.channelMembers.set(own, ['UBOT', 'UREP', 'UJO']);
    (h.deps.registry.forTarget(slackTarget(own)) as SlackConnector).audiences.forget(TEAM, own);
    const second = await reminderFor(slackTarget(own));
    const redirected = await run(second.data);
    expect(redirected).toMatchObject({ status: 'sent', redirectedTo: slackTarget(DEFAULT) });
    // One retraction per message posted there, written down and queued; the redirected post is not there.
    const retractions = await h.test.db.prisma.delivery.findMany({
      where: { key: { startsWith: 'retract-' }, target: slackTarget(own) },
    });
    expect(retractions.map((r) => r.externalId ?? (r.payload as { externalId: string }).externalId).sort()).toEqual(
      [posted.externalId, digestPosted.externalId].sort(),
    );
    for (const r of retractions) {
      const data = r.payload as unknown as DeliverMessageData;
      expect(data.reason).toBe('shared');
      expect(await run(data)).toMatchObject({ status: 'sent' });
    }
    expect(
      updatesIn(own)
        .map((c) => c.body.ts)
        .sort(),
    ).toEqual([posted.externalId, digestPosted.externalId].sort());
    for (const m of postedIn(own)) {
      expect(m.text).toBe('Taken back: this channel is now shared with people outside the company.');
      expect(JSON.stringify(m.blocks)).not.toMatch(/leave|Acme|Daily digest|action_id/);
    }
    // The redirected post is listed where it went: the default channel's take-back would find it.
    const { findPostedCards, findPostsInPlace } = await import('../../../src/db/posted-card.repository.ts');
    // So does forget's look-up of the follow-up's cards (it aimed the take-back at the channel it was meant
    // for, where Slack answers message_not_found, when the card was not the follow-up's latest).
    expect(await findPostedCards(h.test.db.sql, [second.f.id])).toEqual([
      { target: slackTarget(DEFAULT), externalId: redirected.externalId },
    ]);
    expect(
      (await findPostsInPlace(h.test.db.sql, slackTarget(DEFAULT))).some((p) => p.externalId === redirected.externalId),
    ).toBe(true);
    expect(
      (await findPostsInPlace(h.test.db.sql, slackTarget(own))).some((p) => p.externalId === redirected.externalId),
    ).toBe(false);
    // The guest leaves and the channel is internal again: a refresh of the taken-back card changes nothing.
    slack.channelMembers.set(own, ['UBOT', 'UREP', 'UANN']);
    (h.deps.registry.forTarget(slackTarget(own)) as SlackConnector).audiences.forget(TEAM, own);
    const updates = updatesIn(own).length;
    const refresh: DeliverMessageData = {
      key: `refresh-${first.f.id}-later`,
      kind: 'refresh',
      target: slackTarget(own),
      followUpId: first.f.id,
      externalId: posted.externalId,
    };
    expect(await run(refresh)).toEqual({ status: 'nothing-to-send' });
    expect(updatesIn(own)).toHaveLength(updates);
  });

  it('a team channel found shared loses that role: its customer goes back to the default channel', async () => {
    const { data, company, audit } = await reminderFor(slackTarget(SHARED));
    await setTeamChannel(
      h.test.db.prisma,
      { platform: 'slack', channelRef: `${TEAM}/${SHARED}`, target: slackTarget(SHARED) },
      company.id,
      audit,
    );
    await run(data);
    expect(await h.test.db.prisma.teamChannel.count({ where: { companyId: company.id } })).toBe(0);
    const cleared = await h.test.db.prisma.auditLog.findMany({
      where: { action: 'channel.team.clear', details: { path: ['companyId'], equals: company.id } },
    });
    expect(cleared.map((a) => (a.details as { reason?: string }).reason)).toEqual(['outsiders']);
  });

  it('the default channel itself has outsiders: the card goes to the console feed, never dropped', async () => {
    const { data } = await reminderFor(slackTarget(SHARED));
    const sharedDefault = { ...deps, settings: { ...deps.settings, defaultTarget: slackTarget(GUEST) } };
    expect(await run(data, sharedDefault)).toMatchObject({ status: 'sent', redirectedTo: 'console:team' });
    expect(slack.messages).toHaveLength(0);
    // The feed this process shows is a mirror of the shared one, updated through Redis pub/sub: the post
    // reaches it a moment after the delivery returns.
    await eventually('the redirected card in the console feed', async () =>
      h.console.feed().some((e) => e.reply.footer?.includes(`instead of channel ${SHARED}`)),
    );
  });
});
