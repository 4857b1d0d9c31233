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

  /** Forgets recorded calls and failures not used up yet. */
  reset(): void {
    this.calls.length = 0;
    this.failures.length = 0;
    this.served.length = 0;
    this.attempts = 0;
    this.members.clear();
    this.failingMembers.clear();
    this.created.length = 0;
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
  ): boolean {
    const index = this.failures.findIndex(
      (f) =>
        (kind === 'members' ? f.kind === 'members' : !f.kind || f.kind === kind) &&
        (f.bodyIncludes === undefined || body.includes(f.bodyIncludes)),
    );
    if (index === -1) return false;
    const failure = this.failures.splice(index, 1)[0];
    this.served.push({ status: failure.status, kind, conversationId, at: Date.now() });
    res
      .writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers })
      .end(JSON.stringify({ error: { code: 'Injected', message: `injected ${failure.status}` } }));
    return true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
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
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: answeredId }));
  }
}
