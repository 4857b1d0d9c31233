import { TurnContext, type CloudAdapter, type ConversationParameters, type ConversationReference } from 'botbuilder';
import { AuthenticationConstants } from 'botframework-connector';
import type { StoredReferenceExtras } from './conversation-references.ts';

/** Where the connector finds people's 1:1 chats with the bot (conversation-references.ts). */
export interface TeamsPeople {
  /** The stored 1:1 chat of a person (Teams user id or Entra object id). */
  stored(userId: string): Promise<Partial<ConversationReference> | undefined>;
  /** A stored channel or chat reference of the tenant: its service URL and bot account open new chats. */
  anyReference(tenantId?: string): Promise<Partial<ConversationReference> | undefined>;
  /** Keeps a newly opened chat's reference (the next post finds it without asking Teams). */
  save(reference: Partial<ConversationReference>, extras: StoredReferenceExtras): Promise<void>;
}

/**
 * Opens (or gets back: Teams answers with the existing chat) the 1:1 chat between the bot and a person
 * through Bot Connector createConversation, with the member id (Teams user id or Entra object id,
 * which Teams accepts for the personal scope) and the tenant, from the service URL and bot account of
 * a conversation Rapport already knows in that tenant. Stores the chat's reference and returns it;
 * undefined when Rapport knows no Teams conversation at all. Throws what the Bot Connector answered.
 */
export async function openPersonalChat(
  adapter: CloudAdapter,
  appId: string,
  userId: string,
  people: TeamsPeople,
  tenantId?: string,
): Promise<Partial<ConversationReference> | undefined> {
  const base = (await people.anyReference(tenantId)) ?? (tenantId ? await people.anyReference() : undefined);
  if (!base?.serviceUrl || !base.bot) return undefined;
  const tenant = tenantId ?? (base as StoredReferenceExtras).teamsTenantId ?? base.conversation?.tenantId;
  let opened: Partial<ConversationReference> | undefined;
  await adapter.createConversationAsync(
    appId,
    base.channelId ?? 'msteams',
    base.serviceUrl,
    AuthenticationConstants.ToChannelFromBotOAuthScope,
    {
      isGroup: false,
      bot: base.bot,
      members: [{ id: userId }],
      tenantId: tenant,
      channelData: tenant ? { tenant: { id: tenant } } : undefined,
    } as ConversationParameters,
    async (chat) => {
      const { activityId: _made, ...reference } = TurnContext.getConversationReference(chat.activity);
      opened = reference;
    },
  );
  if (!opened?.conversation?.id) return undefined;
  const reference: Partial<ConversationReference> = {
    ...opened,
    conversation: { ...opened.conversation, conversationType: 'personal', isGroup: false, tenantId: tenant },
    // Found again by either id: a Teams user id starts with "29:", anything else is the Entra object id.
    user: userId.startsWith('29:') ? { id: userId, name: '' } : { id: userId, name: '', aadObjectId: userId },
  };
  await people.save(reference, { teamsTenantId: tenant });
  return reference;
}
