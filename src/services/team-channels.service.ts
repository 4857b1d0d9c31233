import type { Platform, TeamChannel } from '../db/generated/client.ts';
import {
  deleteTeamChannels,
  findTeamChannelOf,
  findTeamChannelsAt,
  upsertTeamChannel,
} from '../db/team-channel.repository.ts';
import type { ChannelRef } from '../domain/channel-ref.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';

/** The target string of a team channel row: "<platform>:<channelRef>". */
export function teamChannelTarget(row: Pick<TeamChannel, 'platform' | 'channelRef'>): string {
  return `${row.platform}:${row.channelRef}`;
}

/** Splits a target ("slack:T1/C2") into the columns a channel row stores. */
export function channelOfTarget(target: string): { platform: string; channelRef: string } {
  const i = target.indexOf(':');
  return { platform: target.slice(0, i), channelRef: target.slice(i + 1) };
}

/** Where a customer's internal cards go: its team channel, if one was chosen (else the caller's default). */
export async function teamChannelFor(prisma: PrismaExecutor, companyId: string): Promise<string | undefined> {
  const row = await findTeamChannelOf(prisma, companyId);
  return row ? teamChannelTarget(row) : undefined;
}

/**
 * Makes `channel` the team channel of a customer: its suggestions, reminders, escalations and digest
 * entries go there from now on (follow-ups made earlier keep their target; the last-step guard still
 * checks every post). Replaces the customer's previous team channel, if any.
 */
export async function setTeamChannel(
  prisma: PrismaExecutor,
  channel: ChannelRef,
  companyId: string,
  actor: AuditActor,
): Promise<{ previousTarget: string | undefined }> {
  const before = await findTeamChannelOf(prisma, companyId);
  const row = await upsertTeamChannel(prisma, companyId, channel, actor.repId);
  await writeAudit(prisma, {
    action: 'channel.team',
    actor,
    subject: row.id,
    details: { companyId, previous: before ? teamChannelTarget(before) : null },
  });
  return { previousTarget: before ? teamChannelTarget(before) : undefined };
}

/** The customers whose team channel `channel` is. */
export async function customersNotifiedIn(
  prisma: PrismaExecutor,
  channel: Pick<ChannelRef, 'platform' | 'channelRef'>,
): Promise<string[]> {
  const rows = await findTeamChannelsAt(prisma, channel);
  return rows.map((r) => r.companyId);
}

/**
 * Drops every team-channel role `target` has (its customers' cards go to the default channel again).
 * `reason` is audited: `unlink` by a rep, or `outsiders` when the last-step guard found people from
 * outside the company there. Returns the customers it served.
 */
export async function clearTeamChannel(
  prisma: PrismaExecutor,
  target: string,
  reason: 'unlink' | 'outsiders',
  actor?: AuditActor,
): Promise<string[]> {
  const { platform, channelRef } = channelOfTarget(target);
  const rows = await findTeamChannelsAt(prisma, { platform: platform as Platform, channelRef });
  if (rows.length === 0) return [];
  await deleteTeamChannels(
    prisma,
    rows.map((r) => r.id),
  );
  for (const r of rows)
    await writeAudit(prisma, {
      action: 'channel.team.clear',
      actor,
      subject: r.id,
      details: { companyId: r.companyId, reason },
    });
  return rows.map((r) => r.companyId);
}
