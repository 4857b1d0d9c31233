import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the bot sent: a Web API method ("chat.postMessage") or a response_url path ("respond/abc"). */
export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  token?: string;
  /** When it arrived (Date.now()). */
  at?: number;
}

export interface RecordedMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  edited?: boolean;
}

/** What oauth.v2.access answers for one authorization code (a workspace or an org-wide install). */
export interface OAuthGrant {
  botToken: string;
  teamId?: string;
  teamName?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  isEnterpriseInstall?: boolean;
  scopes: string[];
  botUserId?: string;
  /** For an org-wide install: the workspaces auth.teams.list names. */
  orgTeams?: string[];
}

/** A file shared through the upload flow: files.getUploadURLExternal, the bytes, files.completeUploadExternal. */
export interface RecordedFile {
  id: string;
  filename: string;
  title?: string;
  altText?: string;
  /** The bytes as they reached the upload URL (raw, or the multipart body holding them). */
  bytes: Buffer;
  /** Where files.completeUploadExternal shared it; unset until completed. */
  channel?: string;
  thread_ts?: string;
}

/**
 * A failure to answer the next call of a method with. With `afterPosting`, Slack has done the call
 * (a chat.postMessage is in the channel, conversations.history lists it) and then answers with
 * `status` (a 503 after the message was taken), or answers normally only after `answerAfterMs` (past
 * the client's timeout: the bot gives up on an answer to a post that landed).
 */
export type InjectedFailure =
  | { status: 429; retryAfterSeconds: number; afterPosting?: undefined }
  | { status: number; afterPosting?: undefined }
  | { error: string }
  | { afterPosting: true; status: number }
  | { afterPosting: true; answerAfterMs: number };

/**
 * A local stand-in for https://slack.com/api/: answers the Web API methods the connector uses the way
 * Slack does, keeps the channel's messages (with metadata) so conversations.history can return them,
 * records every call (form or JSON bodies, JSON-encoded fields decoded), and fails on request.
 * Any path outside /api/ is treated as a response_url and recorded as `respond/<rest>`.
 */
export class SlackRecorder {
  readonly calls: RecordedCall[] = [];
  readonly messages: RecordedMessage[] = [];
  /** Files asked for with files.getUploadURLExternal, by id; `channel` is set once shared. */
  readonly files = new Map<string, RecordedFile>();
  private readonly failures = new Map<
    string,
    Array<{ failure: InjectedFailure; when?: (body: Record<string, unknown>) => boolean }>
  >();
  private readonly holds: Array<{
    method: string;
    when: (body: Record<string, unknown>) => boolean;
    arrive: () => void;
    released: Promise<void>;
  }> = [];
  private server?: Server;
  private port = 0;
  private seq = 0;
  /** What users.info answers for any user. */
  userTimezone = 'Europe/Berlin';
  /** How long every Web API call takes to answer, ms (a slow Slack, a burst's backlog). */
  latencyMs = 0;
  /** Messages of other people that conversations.replies returns for a thread, by "<channel>/<thread ts>", parent first (the bot's own posts there are added). */
  readonly threads = new Map<
    string,
    Array<{
      ts: string;
      user?: string;
      text: string;
      bot_id?: string;
      subtype?: string;
      bot_profile?: { name: string };
    }>
  >();
  /**
   * Messages people wrote in a channel that no event told the bot about (it was down): conversations.history
   * returns them with the bot's own posts, honouring `oldest`/`latest`/`inclusive` like Slack (for these only).
   */
  readonly history = new Map<
    string,
    Array<{
      ts: string;
      user?: string;
      text: string;
      team?: string;
      reply_count?: number;
      latest_reply?: string;
      edited?: { user?: string; ts?: string };
    }>
  >();
  /** Channel ids users.conversations lists for a user (the channels they are in); unknown users are in none. */
  readonly memberships = new Map<string, string[]>();
  /** users.info fields per user id (email, team_id, is_restricted, tz, ...), over the defaults. */
  readonly users = new Map<string, Record<string, unknown> & { profile?: Record<string, unknown> }>();
  /** Users users.info cannot describe right now: it answers `{ ok: false, error: 'internal_error' }` for them. */
  readonly failingUsers = new Set<string>();
  /** conversations.info's `channel` per channel id (is_ext_shared, connected_team_ids, ...); unknown = an internal channel. */
  readonly channels = new Map<string, Record<string, unknown>>();
  /** conversations.members per channel id; unknown channels have no members but the bot. */
  readonly channelMembers = new Map<string, string[]>();
  /** team.info's `team` per team id (domain, email_domain, name); unknown = team_not_found. */
  readonly teams = new Map<string, Record<string, unknown>>();
  /** Authorization codes oauth.v2.access accepts (once each, like Slack), and what they grant. */
  readonly oauthGrants = new Map<string, OAuthGrant>();
  /** The app's OAuth credentials oauth.v2.access checks, when set. */
  oauthClient?: { id: string; secret: string };
  private readonly grantedTokens = new Map<string, OAuthGrant>();
  /** The ws:// URL apps.connections.open hands out (Socket Mode); unset = that call fails. */
  socketModeUrl?: string;

  /** Starts listening on a free port; returns the Web API base URL (for SLACK_API_URL). */
  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `${this.baseUrl}/api/`;
  }

  /** A Slack outage: stops listening (every call is refused: ECONNREFUSED) until {@link resume}. */
  async refuse(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  /** The outage is over: listens again on the same port. */
  async resume(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * A bot token Slack issued earlier (given as SLACK_BOT_TOKEN): auth.test and users.info answer for it
   * as for an OAuth grant, e.g. a workspace of an Enterprise Grid org (`enterpriseId`, `orgTeams`).
   */
  issueToken(grant: OAuthGrant): void {
    this.grantedTokens.set(grant.botToken, grant);
  }

  /** A response_url the bot can answer a command or click on. */
  responseUrl(id: string): string {
    return `${this.baseUrl}/respond/${id}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  /**
   * The next call of `method` fails this way (queue several to fail several calls); with `when`, the next
   * call whose body it accepts (so a post another test's pipeline makes meanwhile is not the one failed).
   */
  failNext(method: string, failure: InjectedFailure, when?: (body: Record<string, unknown>) => boolean): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), { failure, when }]);
  }

  /**
   * The next call of `method` whose body `when` accepts is held: the recorder takes it (it is recorded,
   * `arrived` resolves) and answers only after `release()`, as a slow Slack would while the bot goes on.
   */
  holdNext(
    method: string,
    when: (body: Record<string, unknown>) => boolean,
  ): { arrived: Promise<void>; release(): void } {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((r) => {
      arrive = r;
    });
    const released = new Promise<void>((r) => {
      release = r;
    });
    this.holds.push({ method, when, arrive, released });
    return { arrived, release };
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bytes = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    // The upload URL files.getUploadURLExternal handed out: Slack answers 200 "OK - <length>".
    const upload = /^\/upload\/(F\w+)$/.exec(url.pathname);
    if (upload) {
      this.calls.push({ method: 'upload', body: { file_id: upload[1], length: bytes.length } });
      const file = this.files.get(upload[1]);
      if (!file) return send(res, 404, { ok: false, error: 'file_not_found' });
      file.bytes = bytes;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return void res.end(`OK - ${bytes.length}`);
    }
    const isApi = url.pathname.startsWith('/api/');
    const method = isApi ? url.pathname.slice('/api/'.length) : url.pathname.slice(1);
    const body = parseBody(raw, String(req.headers['content-type'] ?? ''));
    const token =
      /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? (body.token as string | undefined);
    this.calls.push({ method, body, token, at: Date.now() });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const held = this.holds.findIndex((h) => h.method === method && h.when(body));
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold.arrive();
      await hold.released;
    }

    const queued = this.failures.get(method) ?? [];
    const at = queued.findIndex((f) => !f.when || f.when(body));
    const failure = at < 0 ? undefined : queued.splice(at, 1)[0].failure;
    if (failure) {
      if ('error' in failure) return send(res, 200, { ok: false, error: failure.error });
      if ('afterPosting' in failure && failure.afterPosting) {
        const answer = isApi ? this.answer(method, body, token) : { ok: true };
        if ('answerAfterMs' in failure) {
          await new Promise((r) => setTimeout(r, failure.answerAfterMs));
          if (!res.destroyed) send(res, 200, answer);
          return;
        }
        return send(res, failure.status, { ok: false, error: 'http_error' });
      }
      if ('retryAfterSeconds' in failure) res.setHeader('Retry-After', String(failure.retryAfterSeconds));
      return send(res, failure.status, { ok: false, error: failure.status === 429 ? 'ratelimited' : 'http_error' });
    }
    send(res, 200, isApi ? this.answer(method, body, token) : { ok: true });
  }

  private answer(method: string, body: Record<string, unknown>, token?: string): Record<string, unknown> {
    switch (method) {
      case 'auth.test': {
        const grant = token ? this.grantedTokens.get(token) : undefined;
        if (grant)
          return {
            ok: true,
            url: `https://${(grant.teamId ?? grant.enterpriseId ?? 'x').toLowerCase()}.slack.com/`,
            team: grant.teamName,
            user: 'rapport',
            team_id: grant.teamId,
            enterprise_id: grant.enterpriseId,
            user_id: grant.botUserId ?? 'UBOT',
            bot_id: 'BBOT',
            is_enterprise_install: grant.isEnterpriseInstall === true,
          };
        return {
          ok: true,
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'rapport',
          team_id: 'T1',
          user_id: 'UBOT',
          bot_id: 'BBOT',
        };
      }
      case 'auth.teams.list': {
        const grant = token ? this.grantedTokens.get(token) : undefined;
        if (!grant) return { ok: false, error: 'invalid_auth' };
        return {
          ok: true,
          teams: (grant.orgTeams ?? (grant.teamId ? [grant.teamId] : [])).map((id) => ({ id, name: `Team ${id}` })),
          response_metadata: { next_cursor: '' },
        };
      }
      case 'apps.connections.open':
        return this.socketModeUrl ? { ok: true, url: this.socketModeUrl } : { ok: false, error: 'invalid_auth' };
      case 'oauth.v2.access': {
        if (
          this.oauthClient &&
          (body.client_id !== this.oauthClient.id || body.client_secret !== this.oauthClient.secret)
        )
          return { ok: false, error: 'invalid_client_id' };
        const grant = this.oauthGrants.get(String(body.code));
        if (!grant) return { ok: false, error: 'invalid_code' };
        this.oauthGrants.delete(String(body.code));
        this.grantedTokens.set(grant.botToken, grant);
        return {
          ok: true,
          app_id: 'A1',
          authed_user: { id: 'UINSTALLER' },
          scope: grant.scopes.join(','),
          token_type: 'bot',
          access_token: grant.botToken,
          bot_user_id: grant.botUserId ?? 'UBOT',
          team: grant.isEnterpriseInstall ? null : { id: grant.teamId, name: grant.teamName },
          enterprise: grant.enterpriseId ? { id: grant.enterpriseId, name: grant.enterpriseName } : null,
          is_enterprise_install: grant.isEnterpriseInstall === true,
        };
      }
      case 'chat.postMessage': {
        const ts = `1700000000.${String(++this.seq).padStart(6, '0')}`;
        const message: RecordedMessage = {
          channel: String(body.channel),
          ts,
          text: body.text as string | undefined,
          blocks: body.blocks as unknown[] | undefined,
          metadata: body.metadata as RecordedMessage['metadata'],
          thread_ts: body.thread_ts as string | undefined,
        };
        this.messages.push(message);
        return { ok: true, channel: message.channel, ts, message: { type: 'message', text: message.text, ts } };
      }
      case 'chat.update': {
        const message = this.messages.find((m) => m.channel === body.channel && m.ts === body.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        Object.assign(message, { text: body.text, blocks: body.blocks, edited: true });
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case 'files.getUploadURLExternal': {
        // Slack requires both, and the length to be the byte count uploaded next.
        if (!body.filename || !body.length) return { ok: false, error: 'invalid_arguments' };
        const id = `F${String(++this.seq).padStart(6, '0')}`;
        this.files.set(id, {
          id,
          filename: String(body.filename),
          altText: body.alt_text as string | undefined,
          bytes: Buffer.alloc(0),
        });
        return { ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (typeof body.files === 'string' ? safeJson(body.files) : body.files) as
          | Array<{ id: string; title?: string }>
          | undefined;
        if (!Array.isArray(files) || files.length === 0) return { ok: false, error: 'invalid_arguments' };
        for (const f of files) {
          const file = this.files.get(f.id);
          if (!file || file.bytes.length === 0) return { ok: false, error: 'file_not_found' };
        }
        for (const f of files) {
          const file = this.files.get(f.id)!;
          file.title = f.title;
          file.channel = body.channel_id as string | undefined;
          file.thread_ts = body.thread_ts as string | undefined;
        }
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `1700000001.${String(++this.seq).padStart(6, '0')}` };
      case 'conversations.history': {
        const withMetadata = body.include_all_metadata === true || body.include_all_metadata === 'true';
        const posted = this.messages
          .filter((m) => m.channel === body.channel && !m.thread_ts)
          .map((m) => ({
            type: 'message',
            ts: m.ts,
            text: m.text,
            blocks: m.blocks,
            bot_id: 'BRAPPORT',
            ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
          }));
        // What people wrote honours `oldest`/`inclusive`; the bot's own posts are always listed (their ts
        // are made-up numbers from 2023, older than any window a caller asks for).
        const oldest = body.oldest === undefined ? undefined : Number(body.oldest);
        const latest = body.latest === undefined ? undefined : Number(body.latest);
        const inclusive = body.inclusive === true || body.inclusive === 'true';
        const written = (this.history.get(String(body.channel)) ?? [])
          .filter((m) => oldest === undefined || (inclusive ? Number(m.ts) >= oldest : Number(m.ts) > oldest))
          .filter((m) => latest === undefined || (inclusive ? Number(m.ts) <= latest : Number(m.ts) < latest))
          .map((m) => ({ type: 'message', ...m }));
        // Newest first: the bot's posts in the order posted, merged by ts with what people wrote.
        const messages =
          written.length === 0 ? posted.reverse() : [...posted, ...written].sort((a, b) => Number(b.ts) - Number(a.ts));
        // Newest first, in pages of `limit` (Slack's default 100, at most 999) with a cursor, like Slack.
        return pageOf(messages, body, Math.min(Number(body.limit ?? 100) || 100, 999));
      }
      case 'users.info': {
        if (this.failingUsers.has(String(body.user))) return { ok: false, error: 'internal_error' };
        const { profile, ...over } = this.users.get(String(body.user)) ?? {};
        // Unknown users belong to the workspace whose token asks (an OAuth install's), else T1; an org's
        // token answers for a member of the org, with Slack's enterprise_user (Enterprise Grid).
        const grant = token ? this.grantedTokens.get(token) : undefined;
        return {
          ok: true,
          user: {
            id: body.user,
            team_id: grant?.teamId ?? grant?.orgTeams?.[0] ?? 'T1',
            ...(grant?.enterpriseId
              ? {
                  enterprise_user: {
                    id: body.user,
                    enterprise_id: grant.enterpriseId,
                    enterprise_name: grant.enterpriseName,
                    is_admin: false,
                    is_owner: false,
                    teams: grant.orgTeams ?? (grant.teamId ? [grant.teamId] : []),
                  },
                }
              : {}),
            name: `user-${String(body.user).toLowerCase()}`,
            real_name: `User ${body.user}`,
            tz: this.userTimezone,
            ...over,
            profile: { display_name: `user-${String(body.user).toLowerCase()}`, ...profile },
          },
        };
      }
      case 'conversations.open': {
        // A DM with one person: Slack answers the same D… channel every time (im:write).
        const user = String(body.users ?? '').split(',')[0];
        if (!user) return { ok: false, error: 'users_list_not_supplied' };
        const id = `D${user}`;
        if (!this.channels.has(id)) this.channels.set(id, { is_channel: false, is_im: true, user });
        return { ok: true, channel: { id } };
      }
      case 'conversations.info': {
        const id = String(body.channel);
        return {
          ok: true,
          channel: { id, name: id.toLowerCase(), is_channel: true, is_ext_shared: false, ...this.channels.get(id) },
        };
      }
      case 'conversations.members': {
        // Pages of `limit` (Slack's default 100) with a cursor, like Slack.
        const all = this.channelMembers.get(String(body.channel)) ?? ['UBOT'];
        const limit = Number(body.limit ?? 100);
        const start = Number(body.cursor ?? 0);
        const next = start + limit < all.length ? String(start + limit) : '';
        return { ok: true, members: all.slice(start, start + limit), response_metadata: { next_cursor: next } };
      }
      case 'team.info': {
        const team = this.teams.get(String(body.team));
        return team ? { ok: true, team: { id: body.team, ...team } } : { ok: false, error: 'team_not_found' };
      }
      case 'conversations.replies': {
        const seeded = (this.threads.get(`${body.channel}/${body.ts}`) ?? []).map((m) => ({
          type: 'message',
          thread_ts: body.ts,
          ...m,
        }));
        const withMetadata = body.include_all_metadata === true || body.include_all_metadata === 'true';
        const posted = this.messages
          .filter((m) => m.channel === body.channel && (m.ts === body.ts || m.thread_ts === body.ts))
          .map((m) => ({
            type: 'message',
            ts: m.ts,
            thread_ts: m.thread_ts,
            text: m.text,
            blocks: m.blocks,
            // The bot auth.test names (Bolt's context.botId / botUserId).
            bot_id: 'BBOT',
            user: 'UBOT',
            ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
          }));
        // Like Slack: the parent first, then the replies from `oldest` on (inclusive or not), oldest
        // first, in pages of `limit` (Slack's default 1,000) with a cursor.
        const oldest = body.oldest === undefined ? undefined : Number(body.oldest);
        const inclusive = body.inclusive === true || body.inclusive === 'true';
        const all = [...seeded, ...posted];
        const thread = [
          ...all.filter((m) => m.ts === body.ts),
          ...all
            .filter((m) => m.ts !== body.ts)
            .filter((m) => oldest === undefined || (inclusive ? Number(m.ts) >= oldest : Number(m.ts) > oldest)),
        ];
        return pageOf(thread, body, Number(body.limit ?? 1000) || 1000);
      }
      case 'users.conversations':
        return {
          ok: true,
          channels: (this.memberships.get(String(body.user)) ?? []).map((id) => ({
            id,
            name: id.toLowerCase(),
            is_channel: true,
          })),
          response_metadata: { next_cursor: '' },
        };
      case 'views.publish':
        return { ok: true, view: { id: `V${++this.seq}`, type: 'home' } };
      case 'views.open':
        return { ok: true, view: { id: `V${++this.seq}` } };
      default:
        return { ok: true };
    }
  }
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    // The WebClient sends arrays and objects (blocks, metadata) as JSON strings inside the form.
    out[k] = /^[[{]/.test(v) ? safeJson(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  return out;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** One page of a Web API list of messages: `limit` from the cursor (an offset), with the next cursor. */
function pageOf(messages: unknown[], body: Record<string, unknown>, limit: number) {
  const start = Number(body.cursor ?? 0);
  const next = start + limit < messages.length ? String(start + limit) : '';
  return {
    ok: true,
    messages: messages.slice(start, start + limit),
    has_more: next !== '',
    response_metadata: { next_cursor: next },
  };
}
