import type { DbClient } from './db-client.ts';
import type { SqlRunner } from './database.ts';
import type { ChannelLink, Platform, Prisma } from './generated/client.ts';

type ChannelKey = { platform: Platform; channelRef: string };

/** The link of one channel, or null. */
export function findChannelLink(client: DbClient, channel: ChannelKey): Promise<ChannelLink | null> {
  return client.channelLink.findUnique({
    where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } },
  });
}

/** Links a channel to a company (moving it when linked to another). */
export function upsertChannelLink(
  client: DbClient,
  channel: ChannelKey,
  companyId: string,
  createdBy: string,
): Promise<ChannelLink> {
  return client.channelLink.upsert({
    where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } },
    create: { platform: channel.platform, channelRef: channel.channelRef, companyId, createdBy },
    update: { companyId },
  });
}

/** Keeps a link row (it holds the conversation's address) without its company. */
export async function clearChannelLinkCompany(client: DbClient, id: string): Promise<void> {
  await client.channelLink.update({ where: { id }, data: { companyId: null } });
}

/** Deletes a link row. */
export async function deleteChannelLink(client: DbClient, id: string): Promise<void> {
  await client.channelLink.delete({ where: { id } });
}

/** The company a channel is linked to, or null. */
export async function findLinkedCompany(
  client: DbClient,
  channel: ChannelKey,
): Promise<{ id: string; name: string } | null> {
  const link = await client.channelLink.findFirst({
    where: { platform: channel.platform, channelRef: channel.channelRef, companyId: { not: null } },
    select: { company: { select: { id: true, name: true } } },
  });
  return link?.company ?? null;
}

/** Every linked channel of a platform with its company and the company's team channel. */
export async function listLinkedChannels(
  client: DbClient,
  platform: Platform,
): Promise<
  Array<{
    channelRef: string;
    company: { id: string; name: string; teamChannel: { platform: Platform; channelRef: string } | null };
  }>
> {
  const rows = await client.channelLink.findMany({
    where: { platform, companyId: { not: null } },
    select: { channelRef: true, company: { select: { id: true, name: true, teamChannel: true } } },
  });
  return rows.flatMap((r) => (r.company ? [{ channelRef: r.channelRef, company: r.company }] : []));
}

/** Every link of a company. */
export function findChannelLinksOfCompany(client: DbClient, companyId: string): Promise<ChannelLink[]> {
  return client.channelLink.findMany({ where: { companyId } });
}

/** How many channels are linked to a company. */
export function countChannelLinksOfCompany(client: DbClient, companyId: string): Promise<number> {
  return client.channelLink.count({ where: { companyId } });
}

/**
 * Unlinks a company's channels that hold the platform's address of the conversation (kept without
 * the company). Returns how many.
 */
export async function unlinkAddressedChannelsOf(sql: SqlRunner, companyId: string): Promise<number> {
  const rows = await sql.query<{ id: string }>(
    `UPDATE "ChannelLink" SET "companyId" = NULL WHERE "companyId" = $1::uuid AND "conversationRef" IS NOT NULL RETURNING id`,
    [companyId],
  );
  return rows.length;
}

/** The digest time and timezone set on these channels' link rows (channels without a row are left out). */
export function findDigestSettings(
  client: DbClient,
  channels: ChannelKey[],
): Promise<Array<ChannelKey & { digestTime: string | null; timezone: string | null }>> {
  return client.channelLink.findMany({
    where: { OR: channels.map((c) => ({ platform: c.platform, channelRef: c.channelRef })) },
    select: { platform: true, channelRef: true, digestTime: true, timezone: true },
  });
}

/** Stores the platform's address of a conversation on its link row (created without a company when new). */
export async function storeConversationRef(
  client: DbClient,
  channel: ChannelKey,
  conversationRef: Record<string, unknown>,
): Promise<void> {
  const ref = conversationRef as Prisma.InputJsonValue;
  await client.channelLink.upsert({
    where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } },
    create: { platform: channel.platform, channelRef: channel.channelRef, companyId: null, conversationRef: ref },
    update: { conversationRef: ref },
  });
}

/** The stored address of a conversation (its JSON), or null. */
export async function findConversationRef(client: DbClient, channel: ChannelKey): Promise<unknown> {
  const link = await client.channelLink.findUnique({
    where: { platform_channelRef: { platform: channel.platform, channelRef: channel.channelRef } },
    select: { conversationRef: true },
  });
  return link?.conversationRef ?? null;
}

/**
 * Teams link rows of a conversation, and with `teamId` of the team's row and every row whose
 * stored address names the team.
 */
export function findTeamsLinksOf(
  client: DbClient,
  conversationId: string,
  teamId: string | undefined,
): Promise<Array<{ id: string; channelRef: string; companyId: string | null }>> {
  return client.channelLink.findMany({
    where: {
      platform: 'teams',
      OR: [
        { channelRef: conversationId },
        ...(teamId ? [{ channelRef: teamId }, { conversationRef: { path: ['teamsTeamId'], equals: teamId } }] : []),
      ],
    },
    select: { id: true, channelRef: true, companyId: true },
  });
}

/** Drops a link row's stored conversation address (SQL NULL), keeping its company. */
export async function clearConversationRef(sql: SqlRunner, id: string): Promise<void> {
  await sql.query(`UPDATE "ChannelLink" SET "conversationRef" = NULL WHERE id = $1::uuid`, [id]);
}

/** A linked, auto-logged chat channel and when its newest logged message was written. */
export interface AutoLoggedChannel {
  channelRef: string;
  linkedAt: Date;
  /** The last message of its newest conversation; null when nothing was logged there yet. */
  newestAt: Date | null;
}

/**
 * The channels of `platform` linked to a customer with auto-logging on, each with its newest logged
 * message (its records' `lastMessageAt`, found through the customer's records by time: sourceKey starts
 * with "<platform>:<channelRef>/").
 */
export async function findAutoLoggedChannels(sql: SqlRunner, platform: 'slack'): Promise<AutoLoggedChannel[]> {
  return sql.query<AutoLoggedChannel>(
    `SELECT l."channelRef", l."createdAt" AS "linkedAt",
            (SELECT r."lastMessageAt" FROM "CommunicationRecord" r
              WHERE r."companyId" = l."companyId"
                AND left(r."sourceKey", length($1 || ':' || l."channelRef" || '/')) = $1 || ':' || l."channelRef" || '/'
              ORDER BY r."lastMessageAt" DESC LIMIT 1) AS "newestAt"
       FROM "ChannelLink" l
      WHERE l.platform = $1::"Platform" AND l."companyId" IS NOT NULL AND l."autoLog"
      ORDER BY l."channelRef"`,
    [platform],
  );
}

/**
 * Chat channels of `platform` with no link row whose messages were logged to a customer since `since`
 * (a Slack Connect channel is auto-logged by its sharing, without a link), each with its newest logged
 * message. Read from the records' sourceKey ("<platform>:<channelRef>/<thread>").
 */
export async function findRecentUnlinkedChannels(
  sql: SqlRunner,
  platform: 'slack',
  since: Date,
): Promise<Array<{ channelRef: string; newestAt: Date }>> {
  return sql.query<{ channelRef: string; newestAt: Date }>(
    `SELECT c."channelRef", c."newestAt"
       FROM (SELECT substr(split_part(r."sourceKey", '/', 1), length($1) + 2) || '/' || split_part(r."sourceKey", '/', 2)
                      AS "channelRef",
                    max(r."lastMessageAt") AS "newestAt"
               FROM "CommunicationRecord" r
              WHERE r."sourceKey" LIKE $1 || ':%' AND r."lastMessageAt" >= $2 AND r."companyId" IS NOT NULL
              GROUP BY 1) c
      WHERE NOT EXISTS (SELECT 1 FROM "ChannelLink" l WHERE l.platform = $1::"Platform" AND l."channelRef" = c."channelRef")
      ORDER BY c."channelRef"`,
    [platform, since],
  );
}
