import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdaptiveCard, SerializationContext, ValidationEvent } from 'adaptivecards';

/**
 * Problems the `adaptivecards` library finds in a card: unknown element or action types, bad property
 * values, duplicate ids, missing required properties. Empty = the card is valid.
 */
export function adaptiveCardProblems(json: unknown): string[] {
  const card = new AdaptiveCard();
  const context = new SerializationContext();
  card.parse(json, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    problems.push(`${ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents)
    problems.push(`${ValidationEvent[e.event]}: ${e.message}`);
  return problems;
}

/** One Bot Connector call the bot made. */
export interface RecordedCall {
  method: 'POST' | 'PUT' | 'DELETE';
  conversationId: string;
  /** The activity replied to (POST .../activities/{id}) or replaced (PUT). */
  activityId?: string;
  /** The id the recorder answered with (new activities) or the replaced one. */
  answeredId: string;
  /** When the call arrived (Date.now()). */
  at: number;
  activity: Record<string, unknown>;
  /** The Authorization header the bot sent (its outgoing token), if any. */
  authorization?: string;
}

/** A conversation member as Bot Connector's pagedmembers lists it. */
export interface RecordedMember {
  id: string;
  name?: string;
  aadObjectId?: string;
  email?: string;
  userPrincipalName?: string;
  tenantId?: string;
  /** "user", "guest" or "anonymous". */
  userRole?: string;
}

/** A failure to answer the next call with, to exercise the connector's error mapping. */
export interface InjectedFailure {
  status: number;
  headers?: Record<string, string>;
  /**
   * Only for this kind of call: a new message (`send`), a reply, an update, a delete, or a roster read
   * (`members`: pagedmembers and members/{id}). Default: the next activity call of any kind (never a roster read).
   */
  kind?: 'send' | 'reply' | 'update' | 'delete' | 'members';
  /** Only for a call whose body contains this text (e.g. the customer a card is about), so another test's post is not the one failed. Default: any. */
  bodyIncludes?: string;
  /**
   * Teams did the call first (a send is recorded: the conversation has the message, Graph lists it)
   * and then answers with `status`, or with `drop`, closes the connection without an answer
   * (ECONNRESET at the bot). Only for activity calls (send, reply, update, delete).
   */
  afterRecording?: boolean;
  drop?: boolean;
}

/**
 * A local stand-in for the Bot Connector service (the activity's `serviceUrl`): answers
 * POST /v3/conversations/{id}/activities (send), POST .../activities/{activityId} (reply) and
 * PUT .../activities/{activityId} (update) with activity ids, and records every call.
 */
export class TeamsRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly failures: InjectedFailure[] = [];
  /** Every injected failure that was served, with when. */
  readonly served: Array<{
    status: number;
    kind: 'send' | 'reply' | 'update' | 'delete' | 'members';
    conversationId: string;
    at: number;
  }> = [];
  /** Conversations the bot created (POST /v3/conversations: a proactive 1:1 chat), with the parameters it sent. */
  readonly created: Array<{ conversationId: string; parameters: Record<string, unknown> }> = [];
  private readonly members = new Map<string, RecordedMember[]>();
  /** Member ids GET .../members/{id} cannot answer for right now (503), whatever the roster holds. */
  readonly failingMembers = new Set<string>();
  /** Teams' teams by channelData.team.id: what GET /v3/teams/{id} answers (the team's Microsoft 365 group). */
  private readonly teams = new Map<string, { aadGroupId: string; name?: string }>();
  /** Team details requests (GET /v3/teams/{id}) the bot made. */
  teamDetailsRequests = 0;
  /** Messages people wrote, by conversation id (Graph lists them beside the bot's posts). */
  private readonly written = new Map<string, GraphMessage[]>();
  /** Microsoft Graph's view of the bot: the app id its messages come from (`from.application.id`). */
  botAppId: string | null = null;
  /** Whether Graph asks for a token from {@link tokenRequests}' endpoint (the real one does). */
  graphRequiresToken = true;
  /** Token requests (client credentials) the bot made, with the tenant of the URL and the form it sent. */
  readonly tokenRequests: Array<{ tenant: string; form: Record<string, string> }> = [];
  private readonly issuedTokens = new Set<string>();
  /** Every Graph request (path and query) with its Authorization header. */
  readonly graphRequests: Array<{ url: string; authorization?: string }> = [];
  private readonly graphFailures: number[] = [];
  /** Conversations whose messages Graph refuses to list (403: the app's resource-specific consent is not granted there). */
  readonly graphRefuses = new Set<string>();
  /** Sends to hold unanswered (recorded, accepted, no answer yet): the sender's process can die in between. */
  private readonly holds: Array<{ conversationId: string; when?: (activity: Record<string, unknown>) => boolean }> = [];
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;
  private counter = 0;
  url = '';
  /** Every request that reached the recorder, failed ones included (the SDK's own retries show here). */
  attempts = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** An outage: stops listening (connections refused) until {@link resume}, keeping what it recorded. */
  async refuse(): Promise<void> {
    await this.stop();
  }

  /** The outage is over: listens again on the same port. */
  async resume(): Promise<void> {
    const port = Number(new URL(this.url).port);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
  }

  /** Forgets recorded calls and failures not used up yet. */
  reset(): void {
    this.calls.length = 0;
    this.failures.length = 0;
    this.served.length = 0;
    this.attempts = 0;
    this.members.clear();
    this.failingMembers.clear();
    this.created.length = 0;
    this.written.clear();
    this.tokenRequests.length = 0;
    this.graphRequests.length = 0;
    this.graphFailures.length = 0;
    this.holds.length = 0;
    this.teamDetailsRequests = 0;
    this.graphRefuses.clear();
  }

  /** A team as Bot Connector's team details name it: `teamId` is channelData.team.id. */
  setTeam(teamId: string, aadGroupId: string, name = 'Team'): void {
    this.teams.set(teamId, { aadGroupId, name });
  }

  /** `count` messages people wrote in a conversation (a channel, `<channel>;messageid=<root>` for replies, a chat) from `at` on, a millisecond apart. */
  addWrittenMessages(conversationId: string, count: number, at = Date.now()): void {
    const list = this.written.get(conversationId) ?? [];
    for (let i = 0; i < count; i++) {
      const time = new Date(at + i).toISOString();
      list.push({
        id: String(at * 1000 + list.length),
        messageType: 'message',
        createdDateTime: time,
        lastModifiedDateTime: time,
        from: { user: { id: 'aad-someone', displayName: 'Someone', userIdentityType: 'aadUser' }, application: null },
        body: { contentType: 'html', content: `<p>message ${list.length}</p>` },
        attachments: [],
      });
    }
    this.written.set(conversationId, list);
  }

  /** The next Graph list requests fail with these statuses, in order. */
  failGraph(...statuses: number[]): void {
    this.graphFailures.push(...statuses);
  }

  /**
   * The next send to this conversation (that `when` accepts, if given) is recorded (Teams has it) but
   * not answered until {@link releaseHeld}.
   */
  holdNextSend(conversationId: string, when?: (activity: Record<string, unknown>) => boolean): void {
    this.holds.push({ conversationId, when });
  }

  /** Answers the held sends whose connection is still open. */
  releaseHeld(): void {
    for (const res of this.held.splice(0)) if (!res.destroyed) res.end();
  }

  /** Who GET /v3/conversations/{id}/pagedmembers and .../members/{userId} know in a conversation (none by default: 404). */
  setMembers(conversationId: string, members: RecordedMember[]): void {
    this.members.set(conversationId, members);
  }

  /** The next calls fail with these statuses, in order. */
  failNext(...failures: InjectedFailure[]): void {
    this.failures.push(...failures);
  }

  /** Calls that carried an Adaptive Card, with the card. */
  cards(): Array<RecordedCall & { card: Record<string, unknown> }> {
    return this.calls.flatMap((c) => {
      const attachment = (
        c.activity.attachments as Array<{ contentType: string; content: Record<string, unknown> }> | undefined
      )?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
      return attachment ? [{ ...c, card: attachment.content }] : [];
    });
  }

  /** Answers an injected failure of this kind, if one is waiting; true when it did. */
  private failed(
    res: ServerResponse,
    kind: 'send' | 'reply' | 'update' | 'delete' | 'members',
    conversationId: string,
    body = '',
    afterRecording = false,
  ): boolean {
    const index = this.failures.findIndex(
      (f) =>
        (kind === 'members' ? f.kind === 'members' : !f.kind || f.kind === kind) &&
        (f.bodyIncludes === undefined || body.includes(f.bodyIncludes)) &&
        (f.afterRecording === true) === afterRecording,
    );
    if (index === -1) return false;
    const failure = this.failures.splice(index, 1)[0];
    this.served.push({ status: failure.status, kind, conversationId, at: Date.now() });
    if (failure.drop) {
      res.socket?.destroy();
      return true;
    }
    res
      .writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers })
      .end(JSON.stringify({ error: { code: 'Injected', message: `injected ${failure.status}` } }));
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(req.url ?? '');
    if (req.method === 'POST' && token) {
      this.answerToken(decodeURIComponent(token[1]), Buffer.concat(chunks).toString('utf8'), res);
      return;
    }
    if (req.method === 'GET' && (req.url ?? '').startsWith('/v1.0/')) {
      this.answerGraph(req, res);
      return;
    }
    const team = /^\/v3\/teams\/([^/?]+)\/?(\?|$)/.exec(req.url ?? '');
    if (req.method === 'GET' && team) {
      this.teamDetailsRequests++;
      const id = decodeURIComponent(team[1]);
      const known = this.teams.get(id);
      if (!known)
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'NotFound', message: 'unknown team' } }));
      else
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id, name: known.name, aadGroupId: known.aadGroupId }));
      return;
    }
    if (req.method === 'POST' && /^\/v3\/conversations\/?(\?|$)/.test(req.url ?? '')) {
      // Teams answers a 1:1 create with the existing personal chat of that user: one id per member.
      const parameters = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const member = (parameters.members as Array<{ id?: string }> | undefined)?.[0]?.id ?? 'nobody';
      const conversationId = `a:personal-${member}`;
      this.created.push({ conversationId, parameters });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: conversationId, serviceUrl: this.url }));
      return;
    }
    const paged = /^\/v3\/conversations\/([^/]+)\/pagedmembers/.exec(req.url ?? '');
    if (req.method === 'GET' && paged) {
      if (this.failed(res, 'members', decodeURIComponent(paged[1]))) return;
      const members = this.members.get(decodeURIComponent(paged[1]));
      if (!members)
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'ConversationNotFound', message: 'unknown conversation' } }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ members }));
      return;
    }
    const one = /^\/v3\/conversations\/([^/]+)\/members\/([^/?]+)/.exec(req.url ?? '');
    if (req.method === 'GET' && one) {
      if (this.failed(res, 'members', decodeURIComponent(one[1]))) return;
      if (this.failingMembers.has(decodeURIComponent(one[2]))) {
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'roster unavailable' } }));
        return;
      }
      // A channel thread's conversation id names the channel before ";messageid=". A conversation
      // without a roster of its own (a 1:1 chat) knows the person from any roster they are in.
      const conversation = decodeURIComponent(one[1]).split(';')[0];
      const id = decodeURIComponent(one[2]);
      const roster = this.members.get(conversation) ?? [...this.members.values()].flat();
      // Teams answers for a member by their Teams user id or their Entra object id.
      const member = roster.find((m) => m.id === id || m.aadObjectId === id);
      if (!member)
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'MemberNotFoundInConversation', message: 'unknown member' } }));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(member));
      return;
    }
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
    const method =
      req.method === 'PUT' ? 'PUT' : req.method === 'POST' ? 'POST' : req.method === 'DELETE' ? 'DELETE' : undefined;
    if (!match || !method) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'NotFound', message: req.url } }));
      return;
    }
    this.attempts++;
    const kind = method === 'PUT' ? 'update' : method === 'DELETE' ? 'delete' : match[2] ? 'reply' : 'send';
    if (this.failed(res, kind, decodeURIComponent(match[1]), Buffer.concat(chunks).toString('utf8'))) return;
    const conversationId = decodeURIComponent(match[1]);
    const activityId = match[2] ? decodeURIComponent(match[2]) : undefined;
    const answeredId = method === 'POST' ? `activity-${++this.counter}` : activityId!;
    const activity = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.calls.push({
      method,
      conversationId,
      activityId,
      answeredId,
      activity,
      authorization: req.headers.authorization,
      at: Date.now(),
    });
    if (this.failed(res, kind, conversationId, Buffer.concat(chunks).toString('utf8'), true)) return;
    const hold =
      kind === 'send'
        ? this.holds.findIndex((h) => h.conversationId === conversationId && (h.when?.(activity) ?? true))
        : -1;
    if (hold !== -1) {
      this.holds.splice(hold, 1);
      res.writeHead(200, { 'content-type': 'application/json' }).write(JSON.stringify({ id: answeredId }));
      this.held.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: answeredId }));
  }

  /** Microsoft Entra's token endpoint: client credentials for Graph, as the app registration allows. */
  private answerToken(tenant: string, body: string, res: ServerResponse): void {
    const form = Object.fromEntries(new URLSearchParams(body));
    this.tokenRequests.push({ tenant, form });
    if (form.grant_type !== 'client_credentials' || !form.client_id || !form.client_secret) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ error: 'invalid_request', error_description: 'AADSTS900144: client credentials expected' }),
        );
      return;
    }
    if (form.scope !== 'https://graph.microsoft.com/.default') {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_scope', error_description: `AADSTS70011: scope ${form.scope}` }));
      return;
    }
    const accessToken = `graph-token-${++this.counter}`;
    this.issuedTokens.add(accessToken);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken }));
  }

  /**
   * Microsoft Graph's message lists, from what the bot posted here and {@link addWrittenMessages}:
   * GET /v1.0/teams/{group}/channels/{channel}/messages ($top), .../messages/{id}/replies ($top) and
   * /v1.0/chats/{chat}/messages ($top, and $filter on lastModifiedDateTime gt when ordered by it), newest
   * change first, at most 50 a page, the rest behind `@odata.nextLink` (a $skiptoken).
   */
  private answerGraph(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.graphRequests.push({ url: url.pathname + url.search, authorization: req.headers.authorization });
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    if (this.graphRequiresToken && (!auth || !this.issuedTokens.has(auth)))
      return void json(401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
    const failure = this.graphFailures.shift();
    if (failure !== undefined)
      return void json(failure, {
        error: { code: failure === 403 ? 'Forbidden' : 'ServiceUnavailable', message: `injected ${failure}` },
      });
    const channel = /^\/v1\.0\/teams\/([^/]+)\/channels\/([^/]+)\/messages(?:\/([^/]+)\/replies)?$/.exec(url.pathname);
    const chat = /^\/v1\.0\/chats\/([^/]+)\/messages$/.exec(url.pathname);
    let conversationId: string;
    if (channel) {
      const group = decodeURIComponent(channel[1]);
      if (![...this.teams.values()].some((t) => t.aadGroupId === group))
        return void json(404, { error: { code: 'NotFound', message: `No team found with Group Id ${group}` } });
      conversationId =
        decodeURIComponent(channel[2]) + (channel[3] ? `;messageid=${decodeURIComponent(channel[3])}` : '');
    } else if (chat) conversationId = decodeURIComponent(chat[1]);
    else return void json(400, { error: { code: 'BadRequest', message: `Unsupported request ${url.pathname}` } });

    if (this.graphRefuses.has(conversationId.split(';')[0]))
      return void json(403, { error: { code: 'Forbidden', message: 'Missing role permissions on the request.' } });
    let messages = this.graphMessages(conversationId);
    const filter = /^lastModifiedDateTime gt (.+)$/.exec(url.searchParams.get('$filter') ?? '');
    if (chat && filter && url.searchParams.get('$orderby') === 'lastModifiedDateTime desc') {
      const after = Date.parse(filter[1]);
      messages = messages.filter((m) => Date.parse(m.lastModifiedDateTime) > after);
    }
    const top = Math.min(Number(url.searchParams.get('$top') ?? 20) || 20, 50);
    const skip = Number(Buffer.from(url.searchParams.get('$skiptoken') ?? '', 'base64').toString() || 0);
    const page = messages.slice(skip, skip + top);
    const next = new URL(url);
    next.searchParams.set('$skiptoken', Buffer.from(String(skip + top)).toString('base64'));
    json(200, {
      '@odata.context': `${this.url}v1.0/$metadata#messages`,
      ...(skip + top < messages.length ? { '@odata.nextLink': next.toString() } : {}),
      value: page,
    });
  }

  /** A conversation's messages as Graph shows them, newest change first: the bot's cards as the JSON it sent. */
  private graphMessages(conversationId: string): GraphMessage[] {
    const posted = this.calls
      .filter((c) => c.method === 'POST' && c.activityId === undefined && c.conversationId === conversationId)
      .map((c): GraphMessage => {
        const update = this.calls.findLast((u) => u.method === 'PUT' && u.activityId === c.answeredId);
        const activity = (update ?? c).activity;
        const created = new Date(c.at).toISOString();
        return {
          id: c.answeredId,
          messageType: 'message',
          createdDateTime: created,
          lastModifiedDateTime: new Date(update?.at ?? c.at).toISOString(),
          from: {
            user: null,
            application: { id: this.botAppId, displayName: 'Rapport', applicationIdentityType: 'bot' },
          },
          body: { contentType: 'html', content: '<attachment></attachment>' },
          // Graph gives a card's content as a string: the JSON as sent, pretty-printed with \r\n.
          attachments: (
            (activity.attachments as Array<{ contentType: string; content?: unknown }> | undefined) ?? []
          ).map((a, i) => ({
            id: `${c.answeredId}-${i}`,
            contentType: a.contentType,
            contentUrl: null,
            content: a.content === undefined ? null : JSON.stringify(a.content, null, 2).replace(/\n/g, '\r\n'),
            name: null,
          })),
        };
      });
    return [...posted, ...(this.written.get(conversationId) ?? [])].sort(
      (a, b) => Date.parse(b.lastModifiedDateTime) - Date.parse(a.lastModifiedDateTime) || (b.id > a.id ? 1 : -1),
    );
  }
}

/** A chatMessage as Microsoft Graph lists it (the fields Rapport reads, and a few beside them). */
interface GraphMessage {
  id: string;
  messageType: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  from: Record<string, unknown>;
  body: { contentType: string; content: string };
  attachments: Array<Record<string, unknown>>;
}
