import {
  CardFactory,
  MessageFactory,
  type Activity,
  TeamsInfo,
  TurnContext,
  type CloudAdapter,
  type ConversationReference,
} from 'botbuilder';
import type { Reply } from '../../src/commands/reply-model.ts';
import {
  DeliveryError,
  neverSent,
  type Audience,
  type AudienceOptions,
  type ChatConnector,
  type ConnectorHealth,
  type Target,
} from '../chat-connector.ts';
import { DELIVERY_ELEMENT_PREFIX, renderAdaptiveCard } from './render-card.ts';
import { memberAudience, readRoster, rosterAudience } from './teams-roster.ts';
import type { StoredReferenceExtras } from './conversation-references.ts';
import { teamsChannelRef, teamsThreadId } from './teams-channel-ref.ts';
import { openPersonalChat, type TeamsPeople } from './teams-personal-chat.ts';
import type { GraphChatMessage, GraphConversation, TeamsGraphMessages } from './teams-graph-messages.ts';

/** How long a conversation's roster verdict is trusted without a membership event (conversationUpdate). */
const AUDIENCE_CACHE_MS = 10 * 60_000;
const AUDIENCE_CACHE_MAX = 5_000;
/** `teams:@<user id>`: the 1:1 chat between the bot and that person (see {@link TeamsConnector.directTarget}). */
const PERSON_PREFIX = '@';
/** How far back findPosted reads a conversation: a crash is recovered within minutes, not days. */
const FIND_POSTED_WINDOW_MS = 24 * 3_600_000;
/** At most this many pages of 50 (2,000 messages) inside the window: a bounded number of Graph calls. */
const FIND_POSTED_MAX_PAGES = 40;

/** What the connector needs to tell our people from outsiders. */
export interface TeamsAudienceOptions {
  /** MICROSOFT_APP_TENANT_ID: our tenant (never a conversation's). Without it (Emulator mode) nobody is ours by tenant. */
  tenantId?: string;
  /** RAPPORT_INTERNAL_DOMAINS: members with these email domains are ours when Teams names no tenant. */
  internalDomains?: readonly string[];
}

/** Finds the stored ConversationReference for a Teams conversation id (ChannelLink.conversationRef). */
export type ConversationReferenceLookup = (
  conversationId: string,
) => Promise<Partial<ConversationReference> | undefined>;

/**
 * The Teams message for a reply: the Adaptive Card, with the plain text as the notification summary,
 * and the reply's pictures as inline image attachments (`image/png` with a base64 data URI: Teams
 * renders those in channels, group chats and personal chats without hosting them anywhere).
 */
export function cardActivity(reply: Reply, deliveryKey?: string): Partial<Activity> {
  const card = CardFactory.adaptiveCard(renderAdaptiveCard(reply, { deliveryKey }));
  const images = (reply.images ?? []).map((image) => ({
    contentType: 'image/png',
    contentUrl: `data:image/png;base64,${image.pngBase64}`,
    name: image.filename,
  }));
  const activity = images.length ? MessageFactory.list([card, ...images]) : MessageFactory.attachment(card);
  activity.summary = reply.text.slice(0, 200);
  return activity;
}

/**
 * Posts and updates Adaptive Cards in Teams conversations proactively (reminders, suggestions,
 * digests), through the Bot Connector service the stored ConversationReference points at.
 * Targets are `teams:<conversation id>`; the reference is stored when Teams tells the bot about the
 * conversation (installation, conversation update, any message).
 */
export class TeamsConnector implements ChatConnector {
  readonly platform = 'teams';
  private readonly audiences = new Map<string, { audience: Audience; stamp: string; expiresAt: number }>();

  constructor(
    private readonly adapter: CloudAdapter,
    /** MICROSOFT_APP_ID; empty in local Emulator mode (no tokens on outgoing calls). */
    private readonly appId: string,
    private readonly lookup: ConversationReferenceLookup,
    private readonly audienceOptions: TeamsAudienceOptions = {},
    /** Stored 1:1 chats, and where to open new ones; without it the connector has no direct targets. */
    private readonly people?: TeamsPeople,
    /** Microsoft Graph, to read a conversation back (findPosted); without it findPosted answers unknown. */
    private readonly graph?: TeamsGraphMessages,
  ) {}

  /**
   * `teams:<user id>` (a Rep's Teams key: Entra object id, else the Teams user id) → `teams:@<user id>`,
   * the person's 1:1 chat with the bot: the stored one, else one opened on first post
   * (createConversation with the member and tenant, as Teams' proactive-messaging guide describes).
   */
  directTarget(platformUserKey: string): Target | undefined {
    if (!this.people) return undefined;
    const m = /^teams:([^@;|\s][^;|\s]*)$/.exec(platformUserKey);
    return m ? `teams:${PERSON_PREFIX}${m[1]}` : undefined;
  }

  /**
   * `teams:<channel>` + activity id → `teams:<channel>;messageid=<id>`: replies in that message's reply
   * chain. Only team channels have reply chains (group and 1:1 chats do not).
   */
  threadOf(target: Target, externalId: string): Target | undefined {
    const conversationId = parseTeamsTarget(target);
    if (teamsThreadId(conversationId) || !isTeamChannel(conversationId) || !externalId) return undefined;
    return `teams:${conversationId};messageid=${externalId}`;
  }

  /**
   * Who can read the conversation, from its roster (Bot Connector pagedmembers): a guest, an
   * anonymous user or a member of another tenant makes it `external`. Cached for
   * {@link AUDIENCE_CACHE_MS}; a conversationUpdate (members added or removed) stamps the stored
   * reference, which every process compares, so the next check reads the roster again. A
   * conversation Rapport has no reference for, or whose roster cannot be read, is `unknown` (never
   * cached: the next check asks again).
   */
  async audience(target: Target, opts?: AudienceOptions): Promise<Audience> {
    const parsed = parseTeamsTarget(target);
    if (parsed.startsWith(PERSON_PREFIX)) return this.personAudience(parsed.slice(PERSON_PREFIX.length), target, opts);
    // A reply chain is read by its channel's members.
    const conversationId = teamsChannelRef(parsed);
    const reference = await this.lookup(conversationId);
    if (!reference) return 'unknown';
    const extras = reference as StoredReferenceExtras;
    const stamp = extras.rosterChangedAt ?? '';
    const cached = this.audiences.get(conversationId);
    if (cached && cached.stamp === stamp && cached.expiresAt > Date.now()) return cached.audience;
    let audience: Audience = 'unknown';
    try {
      await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
        const members = await readRoster(context, conversationId);
        // Our tenant is the configured one, never the conversation's (another tenant's chat is not ours).
        audience = rosterAudience(members, this.audienceOptions.tenantId, this.audienceOptions.internalDomains ?? []);
      });
    } catch (err) {
      throwWhenUnreachable(err, target, opts);
      return 'unknown'; // fail closed, and ask again next time
    }
    if (audience !== 'unknown') {
      if (this.audiences.size >= AUDIENCE_CACHE_MAX) this.audiences.clear();
      this.audiences.set(conversationId, { audience, stamp, expiresAt: Date.now() + AUDIENCE_CACHE_MS });
    }
    return audience;
  }

  /**
   * Who reads a person's 1:1 chat: that person alone, so their own member record decides (our tenant
   * or email domain: internal; a guest or another tenant's member: external; no answer: unknown).
   * The chat is opened first if Rapport has none stored (that is where Teams answers for the person).
   */
  private async personAudience(userId: string, target: Target, opts?: AudienceOptions): Promise<Audience> {
    let audience: Audience = 'unknown';
    try {
      const reference = await this.personalReference(userId);
      if (!reference) return 'unknown';
      await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
        const member = await TeamsInfo.getMember(context, reference.user?.id ?? userId);
        audience = memberAudience(member, this.audienceOptions.tenantId, this.audienceOptions.internalDomains ?? []);
      });
    } catch (err) {
      throwWhenUnreachable(err, target, opts);
      return 'unknown'; // fail closed: the private copy is skipped, the channel's card stands
    }
    return audience;
  }

  /** The person's stored 1:1 chat, else a new one opened now (Teams hands back the existing chat). */
  private async personalReference(userId: string): Promise<Partial<ConversationReference> | undefined> {
    if (!this.people) return undefined;
    return (
      (await this.people.stored(userId)) ??
      openPersonalChat(this.adapter, this.appId, userId, this.people, this.audienceOptions.tenantId)
    );
  }

  /** Forgets cached rosters (this process learnt of a membership change first-hand). */
  forgetAudience(conversationIds: readonly string[]): void {
    for (const id of conversationIds) this.audiences.delete(id);
  }

  async delete(target: Target, externalId: string): Promise<void> {
    await this.inConversation(target, async (context) => {
      await context.deleteActivity(externalId);
    });
  }

  async post(target: Target, reply: Reply, opts: { idempotencyKey?: string } = {}): Promise<{ externalId: string }> {
    let externalId: string | undefined;
    await this.inConversation(target, async (context, reference) => {
      // Sent through the adapter rather than context.sendActivity, which would make the post a reply to
      // the continuation activity's made-up id (a reply thread under nothing).
      const activity = TurnContext.applyConversationReference(cardActivity(reply, opts.idempotencyKey), reference);
      const [response] = await context.adapter.sendActivities(context, [activity]);
      externalId = response?.id;
    });
    if (!externalId)
      throw new DeliveryError('unknown', `Teams accepted the message for ${target} but returned no activity id.`);
    return { externalId };
  }

  /**
   * The card posted with this delivery key in the last day, read back through Microsoft Graph (the
   * key is the id of the card's first element; the message must come from this app): a team channel's
   * messages or one reply chain (the app's RSC ChannelMessage.Read.Group), a group chat's
   * (ChatMessage.Read.Chat), newest first, at most {@link FIND_POSTED_MAX_PAGES} pages. `unknown` when
   * Graph cannot answer (no app credentials, consent not granted, Graph down) and for 1:1 chats, which
   * resource-specific consent does not cover; the delivery then posts again.
   */
  async findPosted(
    target: Target,
    idempotencyKey: string,
  ): Promise<{ externalId: string } | { unknown: string } | undefined> {
    if (!this.graph) return { unknown: 'Microsoft Graph is not configured for this Teams connector.' };
    const parsed = parseTeamsTarget(target);
    if (parsed.startsWith(PERSON_PREFIX))
      return {
        unknown:
          'a 1:1 chat with the bot cannot be read back (resource-specific consent covers teams and group chats).',
      };
    const conversationId = teamsChannelRef(parsed);
    let where: GraphConversation | { unknown: string };
    try {
      where = await this.graphConversation(conversationId, teamsThreadId(parsed));
    } catch (err) {
      return { unknown: `the Teams conversation ${conversationId} could not be looked up: ${(err as Error).message}` };
    }
    if ('unknown' in where) return where;
    const marker = `${DELIVERY_ELEMENT_PREFIX}${idempotencyKey}`;
    const result = await this.graph.find(
      where,
      new Date(Date.now() - FIND_POSTED_WINDOW_MS),
      (m) => (!this.appId || m.from?.application?.id === this.appId) && carriesElementId(m, marker),
      FIND_POSTED_MAX_PAGES,
    );
    if ('unknown' in result) return result;
    return result.found ? { externalId: result.found.id } : undefined;
  }

  /** Team AAD group ids by channelData.team.id, as Bot Connector told them (they never change). */
  private readonly teamGroups = new Map<string, string>();

  /** Where Graph keeps a conversation: a team's channel (its team's group id) or a chat. */
  private async graphConversation(
    conversationId: string,
    replyChainOf: string | undefined,
  ): Promise<GraphConversation | { unknown: string }> {
    const reference = await this.lookup(conversationId);
    if (!reference) return { unknown: `Rapport has no reference for the Teams conversation ${conversationId}.` };
    const extras = reference as StoredReferenceExtras;
    if (conversationId.startsWith('a:') || reference.conversation?.conversationType === 'personal')
      return {
        unknown:
          'a 1:1 chat with the bot cannot be read back (resource-specific consent covers teams and group chats).',
      };
    const tenantId = reference.conversation?.tenantId ?? extras.teamsTenantId ?? this.audienceOptions.tenantId;
    if (!isTeamChannel(conversationId)) return { kind: 'chat', chatId: conversationId, tenantId };
    const teamsTeamId = extras.teamsTeamId ?? conversationId;
    let teamId = extras.teamsAadGroupId ?? this.teamGroups.get(teamsTeamId);
    if (!teamId) {
      // Bot Connector's team details name the team's Microsoft 365 group, which Graph addresses it by.
      await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
        teamId = (await TeamsInfo.getTeamDetails(context, teamsTeamId)).aadGroupId;
      });
      if (teamId) this.teamGroups.set(teamsTeamId, teamId);
    }
    if (!teamId) return { unknown: `Teams named no Microsoft 365 group for the team of ${conversationId}.` };
    return { kind: 'channel', teamId, channelId: conversationId, replyChainOf, tenantId };
  }

  async update(target: Target, externalId: string, reply: Reply): Promise<void> {
    await this.inConversation(target, async (context) => {
      await context.updateActivity({ ...cardActivity(reply), id: externalId });
    });
  }

  async health(): Promise<ConnectorHealth> {
    // Teams has no cheap "who am I" call; credentials are checked on the first post (and 401s are reported as auth).
    return { ok: true, detail: this.appId ? `configured as app ${this.appId}` : 'local Emulator mode (no app id)' };
  }

  private async inConversation(
    target: Target,
    logic: (context: TurnContext, reference: Partial<ConversationReference>) => Promise<void>,
  ): Promise<void> {
    const parsed = parseTeamsTarget(target);
    const person = parsed.startsWith(PERSON_PREFIX) ? parsed.slice(PERSON_PREFIX.length) : undefined;
    const conversationId = person ?? teamsChannelRef(parsed);
    let reference: Partial<ConversationReference> | undefined;
    try {
      reference = person ? await this.personalReference(person) : await this.lookup(conversationId);
    } catch (err) {
      // Nothing of the message has left yet (opening a 1:1 chat is not posting in it).
      const e = toDeliveryError(err, target);
      throw e.mayHavePosted ? new DeliveryError(e.code, e.message, e.retryAfterMs, false) : e;
    }
    // A reply chain: the channel's reference, addressed to the chain's conversation id.
    if (reference && !person && parsed !== conversationId)
      reference = { ...reference, conversation: { ...reference.conversation!, id: parsed } };
    if (!reference) {
      throw new DeliveryError(
        'not_found',
        person
          ? `Rapport has no 1:1 chat with Teams user ${person} and no Teams conversation to open one from: add the app in Teams first.`
          : `Rapport does not know the Teams conversation ${conversationId} yet: add the app to that chat or team (or send it a message there) first.`,
      );
    }
    try {
      await this.adapter.continueConversationAsync(this.appId, reference, (context) => logic(context, reference));
    } catch (err) {
      throw toDeliveryError(err, target);
    }
  }
}

/** Whether a Graph message carries an Adaptive Card whose top-level element has this id. */
function carriesElementId(m: GraphChatMessage, id: string): boolean {
  return (m.attachments ?? []).some((a) => {
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive' || !a.content?.includes(id)) return false;
    try {
      const card = JSON.parse(a.content) as { body?: Array<{ id?: unknown }> };
      return (card.body ?? []).some((e) => e?.id === id);
    } catch {
      return false;
    }
  });
}

/** Team channels ("19:…@thread.tacv2", older "@thread.skype") have reply chains; chats ("@thread.v2", "a:…") do not. */
function isTeamChannel(conversationId: string): boolean {
  return /@thread\.(tacv2|skype)$/.test(conversationId);
}

/** The conversation id in `teams:<conversation id>`. @throws DeliveryError not_found for another platform's target. */
export function parseTeamsTarget(target: Target): string {
  if (!target.startsWith('teams:') || target.length === 'teams:'.length)
    throw new DeliveryError('not_found', `"${target}" is not a Teams target (teams:<conversation id>).`);
  return target.slice('teams:'.length);
}

/**
 * Maps a Bot Connector failure to a delivery code: 429 rate_limited (with Retry-After), 401/403 auth,
 * 404 not_found, 412 (concurrent update), 408, 5xx and network errors temporary (with Retry-After when
 * Teams sent one). A 408, a 5xx, a reset or a timed-out connection may come after Teams took a post
 * ({@link DeliveryError.mayHavePosted}); a refused connection, an unknown host and another 4xx do not. The SDK's own HTTP retries are switched off (teams-authentication.ts), so these
 * arrive at the first failure and the delivery queue decides when to try again.
 */
/**
 * With `unreachable: 'throw'`: Teams did not answer who reads `target` (down, a 5xx, a timeout), so a
 * post waits for it (DeliveryError temporary, nothing posted) rather than go elsewhere.
 */
function throwWhenUnreachable(err: unknown, target: Target, opts: AudienceOptions | undefined): void {
  if (opts?.unreachable !== 'throw') return;
  const failure = toDeliveryError(err, target);
  if (failure.code === 'temporary')
    throw new DeliveryError(
      'temporary',
      `Teams could not say who reads ${target}: ${failure.message}`,
      undefined,
      false,
    );
}

export function toDeliveryError(err: unknown, target: Target): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const status = statusOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (status === 429)
    return new DeliveryError('rate_limited', `Teams rate-limited posts to ${target}.`, retryAfterMs(err) ?? 1_000);
  if (status === 401 || status === 403)
    return new DeliveryError(
      'auth',
      `Teams refused the bot's credentials (${status}): check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID.`,
    );
  if (status === 404)
    return new DeliveryError(
      'not_found',
      `Teams no longer has ${target} or that message (the bot may have been removed).`,
    );
  if (status === 408 || status === 412 || (status !== undefined && status >= 500))
    return new DeliveryError('temporary', `Teams answered ${status} for ${target}: ${detail}`, retryAfterMs(err));
  // A refused connection or an unknown host never reached Teams; a reset or a timeout may have, after
  // Teams took the message.
  if (status === undefined && isNetworkError(err))
    return new DeliveryError('temporary', `Could not reach Teams for ${target}: ${detail}`, undefined, !neverSent(err));
  // Another 4xx is Teams refusing the call: nothing was posted.
  return new DeliveryError(
    'unknown',
    `Teams failed for ${target}${status ? ` (${status})` : ''}: ${detail}`,
    undefined,
    status === undefined || status >= 500,
  );
}

type HttpishError = {
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
  response?: { status?: unknown; headers?: unknown };
};

function statusOf(err: unknown): number | undefined {
  const e = err as HttpishError | undefined;
  const s = e?.statusCode ?? e?.response?.status ?? e?.status;
  return typeof s === 'number' ? s : undefined;
}

function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as HttpishError | undefined)?.response?.headers as
    | { get?: (n: string) => string | undefined }
    | Record<string, string>
    | undefined;
  if (!headers) return undefined;
  const raw =
    typeof headers.get === 'function' ? headers.get('retry-after') : (headers as Record<string, string>)['retry-after'];
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function isNetworkError(err: unknown): boolean {
  const code = (err as HttpishError | undefined)?.code;
  return (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|REQUEST_SEND_ERROR|UND_ERR_.*)$/.test(code)
  );
}
