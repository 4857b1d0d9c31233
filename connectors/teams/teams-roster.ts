import type { TurnContext, TeamsChannelAccount } from 'botbuilder';
import type { ConnectorClient } from 'botframework-connector';
import type { Audience } from '../chat-connector.ts';

/** Members per roster page (Bot Connector allows up to 500). */
const PAGE_SIZE = 500;
/** Pages read before giving up (100 000 members): a bigger roster answers `unknown`. */
const MAX_PAGES = 200;

/**
 * Every member of a Teams conversation (channel, group chat or personal chat), read page by page
 * from the Bot Connector's pagedmembers of that conversation id, through the turn's connector client
 * (a live turn or a proactive continueConversation). Throws what the Bot Connector answered.
 */
export async function readRoster(context: TurnContext, conversationId: string): Promise<TeamsChannelAccount[]> {
  const client = context.turnState.get<ConnectorClient>(context.adapter.ConnectorClientKey);
  if (!client) throw new Error('no Bot Connector client in this turn');
  const members: TeamsChannelAccount[] = [];
  let continuationToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.conversations.getConversationPagedMembers(
      conversationId,
      // The SDK types the token as required; the first page has none (TeamsInfo passes undefined too).
      { pageSize: PAGE_SIZE, continuationToken: continuationToken as string },
    );
    members.push(...((result.members ?? []) as TeamsChannelAccount[]));
    continuationToken = result.continuationToken || undefined;
    if (!continuationToken) return members;
  }
  throw new Error(`the roster of ${conversationId} has more than ${MAX_PAGES * PAGE_SIZE} members`);
}

/** Whether one member is ours, from outside the company, or cannot be told. */
export function memberAudience(
  member: Pick<TeamsChannelAccount, 'userRole' | 'tenantId' | 'email' | 'userPrincipalName'>,
  ourTenantId: string | undefined,
  internalDomains: readonly string[],
): Audience {
  if (member.userRole === 'guest' || member.userRole === 'anonymous') return 'external';
  if (member.tenantId && ourTenantId && member.tenantId !== ourTenantId) return 'external';
  if (member.tenantId && member.tenantId === ourTenantId) return 'internal';
  const address = member.email ?? (member.userPrincipalName?.includes('@') ? member.userPrincipalName : undefined);
  const domain = address?.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domain && internalDomains.includes(domain) ? 'internal' : 'unknown';
}

/**
 * Who can read a conversation with this roster: `external` when anyone is a guest, anonymous or from
 * another tenant; `internal` when everyone is from our tenant (or our email domains); otherwise (an
 * empty roster, a member Teams says nothing about) `unknown`. Bots are not readers.
 */
export function rosterAudience(
  members: readonly TeamsChannelAccount[],
  ourTenantId: string | undefined,
  internalDomains: readonly string[],
): Audience {
  const people = members.filter((m) => !m.id?.startsWith('28:'));
  if (people.length === 0) return 'unknown';
  const each = people.map((m) => memberAudience(m, ourTenantId, internalDomains));
  if (each.includes('external')) return 'external';
  return each.includes('unknown') ? 'unknown' : 'internal';
}
