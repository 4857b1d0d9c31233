import type { DbClient } from './db-client.ts';
import type { Platform, TeamChannel } from './generated/client.ts';

type ChannelKey = { platform: Platform; channelRef: string };

/** A company's team channel, or null. */
export function findTeamChannelOf(client: DbClient, companyId: string): Promise<TeamChannel | null> {
  return client.teamChannel.findUnique({ where: { companyId } });
}

/** Makes `channel` the team channel of a company (chosen by a command), replacing its previous one. */
export function upsertTeamChannel(
  client: DbClient,
  companyId: string,
  channel: ChannelKey,
  createdBy: string,
): Promise<TeamChannel> {
  return client.teamChannel.upsert({
    where: { companyId },
    create: { companyId, platform: channel.platform, channelRef: channel.channelRef, createdBy },
    update: { platform: channel.platform, channelRef: channel.channelRef, origin: 'command', createdBy },
  });
}

/** The team-channel rows of one channel (one per company it serves). */
export function findTeamChannelsAt(client: DbClient, channel: ChannelKey): Promise<TeamChannel[]> {
  return client.teamChannel.findMany({ where: { platform: channel.platform, channelRef: channel.channelRef } });
}

/** Deletes team-channel rows by id. */
export async function deleteTeamChannels(client: DbClient, ids: string[]): Promise<void> {
  await client.teamChannel.deleteMany({ where: { id: { in: ids } } });
}

/** Every team channel of a platform with its company's name. */
export function listTeamChannelsWithCompany(
  client: DbClient,
  platform: Platform,
): Promise<Array<{ channelRef: string; company: { id: string; name: string } }>> {
  return client.teamChannel.findMany({
    where: { platform },
    select: { channelRef: true, company: { select: { id: true, name: true } } },
  });
}

/** Every chat channel that is some customer's team channel (each once). */
export function listTeamChannelTargets(client: DbClient): Promise<ChannelKey[]> {
  return client.teamChannel.findMany({
    where: { platform: { not: 'email' } },
    select: { platform: true, channelRef: true },
    distinct: ['platform', 'channelRef'],
  });
}
