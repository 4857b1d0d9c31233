import type { Logger } from '../../src/logger.ts';

/** Microsoft Graph of the public cloud (MICROSOFT_GRAPH_URL overrides it: national clouds, tests). */
export const DEFAULT_GRAPH_URL = 'https://graph.microsoft.com/v1.0';
/** Microsoft Entra's token service of the public cloud (MICROSOFT_LOGIN_URL overrides it). */
export const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';

/** Messages Graph lists per page: the most `$top` the list APIs accept. */
const PAGE_SIZE = 50;
/** How long one Graph or token request may take: a hanging Graph must not hold a delivery. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** A token is renewed this long before Entra says it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;

/** Where to look: a team channel (optionally one message's reply chain) or a chat. */
export type GraphConversation =
  | { kind: 'channel'; teamId: string; channelId: string; replyChainOf?: string; tenantId?: string }
  | { kind: 'chat'; chatId: string; tenantId?: string };

/** A chatMessage as Graph lists it, with only what Rapport reads. */
export interface GraphChatMessage {
  id: string;
  createdDateTime?: string;
  lastModifiedDateTime?: string | null;
  from?: { application?: { id?: string } | null } | null;
  attachments?: Array<{ contentType?: string; content?: string | null }>;
}

/** What a look-up found: the message, nothing in the window, or no answer (and why). */
export type GraphLookup = { found: GraphChatMessage } | { found: undefined } | { unknown: string };

export interface TeamsGraphOptions {
  /** MICROSOFT_APP_ID: the app whose RSC permissions (ChannelMessage.Read.Group, ChatMessage.Read.Chat) are used. */
  appId?: string;
  /** MICROSOFT_APP_PASSWORD: its client secret. */
  appPassword?: string;
  /** MICROSOFT_APP_TENANT_ID: the tenant to get tokens in when the conversation names none. */
  tenantId?: string;
  /** MICROSOFT_GRAPH_URL, default {@link DEFAULT_GRAPH_URL}. */
  graphUrl?: string;
  /** MICROSOFT_LOGIN_URL, default {@link DEFAULT_LOGIN_URL}. */
  loginUrl?: string;
  /** How long one request may take before the answer is `unknown`. Default 10 s. */
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * Reads a Teams conversation's recent messages through Microsoft Graph with an app-only token
 * (client credentials for `https://graph.microsoft.com/.default`, in the conversation's tenant). With
 * the app package's resource-specific consent the app may read the channels and chats it is installed
 * in, and nothing else. Without an app id (Emulator mode) it asks Graph only when MICROSOFT_GRAPH_URL
 * is set, without a token, like every outgoing call in that mode. Every failure is an answer
 * (`unknown` with the reason), never an exception; the first failure of each kind is logged once.
 */
export class TeamsGraphMessages {
  private readonly graphUrl: string;
  private readonly loginUrl: string;
  private readonly timeoutMs: number;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly options: TeamsGraphOptions,
    /** Whether MICROSOFT_GRAPH_URL was set (Emulator mode asks Graph only then). */
    private readonly graphUrlSet = options.graphUrl !== undefined,
  ) {
    this.graphUrl = (options.graphUrl ?? DEFAULT_GRAPH_URL).replace(/\/+$/, '');
    this.loginUrl = (options.loginUrl ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Pages back through the conversation's messages, newest first, until `matches` finds one, a page
   * holds nothing modified since `since`, there are no more pages, or `maxPages` were read.
   */
  async find(
    where: GraphConversation,
    since: Date,
    matches: (m: GraphChatMessage) => boolean,
    maxPages: number,
  ): Promise<GraphLookup> {
    const auth = await this.authorization(where.tenantId ?? this.options.tenantId);
    if ('unknown' in auth) return this.unknown(auth.unknown, auth.unknown);
    let url: string | undefined = this.firstPage(where, since);
    for (let page = 0; url && page < maxPages; page++) {
      let body: { value?: GraphChatMessage[]; '@odata.nextLink'?: string };
      try {
        const res = await fetch(url, {
          headers: { accept: 'application/json', ...auth.headers },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (!res.ok) return this.refused(res.status, where);
        body = (await res.json()) as typeof body;
      } catch (err) {
        return this.unknown('unreachable', `Microsoft Graph could not be reached: ${(err as Error).message}`);
      }
      const messages = body.value ?? [];
      const found = messages.find(matches);
      if (found) return { found };
      // Listed newest change first: a page with nothing changed since the window began is the end of it.
      if (messages.length > 0 && messages.every((m) => changedAt(m) < since.getTime())) return { found: undefined };
      url = body['@odata.nextLink'];
    }
    return { found: undefined };
  }

  private firstPage(where: GraphConversation, since: Date): string {
    if (where.kind === 'chat') {
      // Chats take a date filter when ordered by the same property (List messages in a chat).
      const query = `$top=${PAGE_SIZE}&$orderby=lastModifiedDateTime desc&$filter=lastModifiedDateTime gt ${since.toISOString()}`;
      return `${this.graphUrl}/chats/${encodeURIComponent(where.chatId)}/messages?${encodeQuery(query)}`;
    }
    const channel = `${this.graphUrl}/teams/${encodeURIComponent(where.teamId)}/channels/${encodeURIComponent(where.channelId)}/messages`;
    // Channel lists take $top only (List channel messages, List replies).
    return where.replyChainOf
      ? `${channel}/${encodeURIComponent(where.replyChainOf)}/replies?$top=${PAGE_SIZE}`
      : `${channel}?$top=${PAGE_SIZE}`;
  }

  /** The Authorization header for the tenant: a cached app-only token, or none in Emulator mode. */
  private async authorization(
    tenantId: string | undefined,
  ): Promise<{ headers: Record<string, string> } | { unknown: string }> {
    const { appId, appPassword } = this.options;
    if (!appId || !appPassword)
      return this.graphUrlSet
        ? { headers: {} }
        : {
            unknown:
              'Teams runs without MICROSOFT_APP_ID (Emulator mode): Rapport cannot read a conversation back through Microsoft Graph to see whether a post it lost track of went out, so such a post is sent again.',
          };
    // App-only tokens are issued by a tenant; Teams names it on every conversation.
    if (!tenantId) return { unknown: 'the Teams conversation names no tenant to get a Microsoft Graph token in.' };
    const tenant = tenantId;
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt > Date.now()) return { headers: { authorization: `Bearer ${cached.token}` } };
    try {
      const res = await fetch(`${this.loginUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, {
        method: 'POST',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: appId,
          client_secret: appPassword,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
      });
      const body = (await res.json().catch(() => ({}))) as {
        access_token?: string;
        expires_in?: number;
        error_description?: string;
      };
      if (!res.ok || !body.access_token)
        return {
          unknown: `Microsoft Entra gave no Graph token for tenant ${tenant} (${res.status}${body.error_description ? `: ${body.error_description.split('\n')[0]}` : ''}): check MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD.`,
        };
      const lifetimeMs = (body.expires_in ?? 3600) * 1000;
      this.tokens.set(tenant, {
        token: body.access_token,
        expiresAt: Date.now() + Math.max(lifetimeMs - TOKEN_MARGIN_MS, lifetimeMs / 2),
      });
      return { headers: { authorization: `Bearer ${body.access_token}` } };
    } catch (err) {
      return { unknown: `Microsoft Entra could not be reached for a Graph token: ${(err as Error).message}` };
    }
  }

  private refused(status: number, where: GraphConversation): GraphLookup {
    const place = where.kind === 'chat' ? `chat ${where.chatId}` : `channel ${where.channelId}`;
    if (status === 401 || status === 403)
      return this.unknown(
        `refused-${status}`,
        `Microsoft Graph refused to list the messages of ${place} (${status}): the app's resource-specific consent (ChannelMessage.Read.Group, ChatMessage.Read.Chat) is not granted there; reinstall the current app package (npm run teams:package) in that team or chat.`,
      );
    return this.unknown(`status-${status}`, `Microsoft Graph answered ${status} listing the messages of ${place}.`);
  }

  /** An `unknown` answer; the first of each kind is logged as a warning (they repeat on every look-up). */
  private unknown(kind: string, reason: string): GraphLookup {
    if (!this.warned.has(kind)) {
      this.warned.add(kind);
      this.options.logger?.warn(
        { reason },
        'Teams: cannot tell whether a post went out before its worker stopped; it is posted again (at least once, perhaps twice)',
      );
    }
    return { unknown: reason };
  }
}

function changedAt(m: GraphChatMessage): number {
  const at = Date.parse(m.lastModifiedDateTime ?? m.createdDateTime ?? '');
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}

/** Encodes the values of an OData query (`$top=…&$filter=…`), keeping its `$`, `=` and `&`. */
function encodeQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const at = part.indexOf('=');
      return `${part.slice(0, at)}=${encodeURIComponent(part.slice(at + 1))}`;
    })
    .join('&');
}
