import { describe, expect, it } from 'vitest';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { linkChannel, unlinkChannel } from '../../../src/services/channel-links.service.ts';
import { clearTeamChannel, setTeamChannel } from '../../../src/services/team-channels.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { startPipelineHarness } from '../../helpers/pipeline-harness.ts';

// Teams keeps a ChannelLink row (the ConversationReference) for every chat and channel the app is in,
// linked or not: only team channels (and the default one) get a daily digest, or every rep's 1:1 chat
// with the bot would receive the whole team's digest every morning. A customer channel (a link) gets
// none either: the customer may read it (issue 14).
describe.each(['pglite', 'postgres'] as const)('daily digests and Teams conversation references (%s)', (kind) => {
  it('schedules digests for the default channel and team channels only; unlink stops the digest but keeps the reference', async () => {
    const h = await startPipelineHarness(kind, { workers: false });
    try {
      const db = h.test.db;
      const reference = (id: string) => ({
        serviceUrl: 'http://127.0.0.1:9/',
        channelId: 'msteams',
        conversation: { id },
      });
      await db.prisma.channelLink.create({
        data: { platform: 'teams', channelRef: '29:personal-chat', conversationRef: reference('29:personal-chat') },
      });
      await db.prisma.channelLink.create({
        data: {
          platform: 'teams',
          channelRef: '19:acme@thread.tacv2',
          conversationRef: reference('19:acme@thread.tacv2'),
        },
      });
      const rep = await findOrCreateRep(db.prisma, {
        platform: 'teams',
        platformUserId: 'aad-jo',
        displayName: 'Jo',
        timezone: 'UTC',
      });
      const audit = { repId: rep.id, platform: 'teams' };
      const acme = await createCustomer(db.prisma, 'Acme', audit);
      const acmeChannel = {
        platform: 'teams' as const,
        channelRef: '19:acme@thread.tacv2',
        target: 'teams:19:acme@thread.tacv2',
      };
      await linkChannel(db.prisma, acmeChannel, acme.id, audit);

      const digestTargets = async () => {
        await reconcileSchedules(h.deps);
        const schedulers = await h.queues[QueueName.DailyDigest].getJobSchedulers(0, -1);
        return schedulers.map((s) => (s.template?.data as { target: string } | undefined)?.target ?? '').sort();
      };
      // Linked as Acme's customer channel: no digest there.
      expect(await digestTargets()).toEqual([h.deps.settings.defaultTarget]);
      const teamChannel = {
        platform: 'teams' as const,
        channelRef: '19:team@thread.tacv2',
        target: 'teams:19:team@thread.tacv2',
      };
      await setTeamChannel(db.prisma, teamChannel, acme.id, audit);
      expect(await digestTargets()).toEqual([h.deps.settings.defaultTarget, teamChannel.target].sort());
      await clearTeamChannel(db.prisma, teamChannel.target, 'unlink', audit);
      expect(await digestTargets()).toEqual([h.deps.settings.defaultTarget]);

      await unlinkChannel(db.prisma, acmeChannel, audit);
      const kept = await db.prisma.channelLink.findUniqueOrThrow({
        where: { platform_channelRef: { platform: 'teams', channelRef: '19:acme@thread.tacv2' } },
      });
      expect(kept.companyId).toBeNull();
      expect(kept.conversationRef).toMatchObject({ conversation: { id: '19:acme@thread.tacv2' } });
      await expect(unlinkChannel(db.prisma, acmeChannel, audit)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await h.dispose();
    }
  });
});
