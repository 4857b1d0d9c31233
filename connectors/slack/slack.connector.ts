import { ErrorCode, WebClient, type WebAPICallError } from '@slack/web-api';
import type { Reply } from '../../src/commands/reply-model.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import {
  DeliveryError,
  neverSent,
  type Audience,
  type ChatConnector,
  type ConnectorHealth,
  type Target,
} from '../chat-connector.ts';
import { SlackAudience } from './slack-audience.ts';
import { SlackUserDirectory } from './slack-user-directory.ts';
import { renderBlocks } from './render-blocks.ts';
import { singleWorkspaceClientsOf, type SlackWorkspaceClients } from './slack-clients.ts';

/** event_type of the message metadata every pipeline post carries; findPosted looks for it. */
export const DELIVERY_EVENT_TYPE = 'rapport_delivery';

/** How far back findPosted reads a channel: a crash is recovered within minutes, not days. */
const FIND_POSTED_WINDOW_MS = 24 * 3_600_000;
/**
 * At most this many pages of 200 (6,000 messages) inside the window: a busy channel is read past its
 * first page; an impossible one (more in a day) costs a bounded number of calls, Tier 3 (50+/min).
 */
const FIND_POSTED_MAX_PAGES = 30;

export interface SlackTarget {
  teamId: string;
  channelId: string;
  /** Thread to reply in, when the target names one. */
  threadTs?: string;
}

/** Parses "slack:T1/C2" or "slack:T1/C2/1700000000.000100". @throws DeliveryError not_found for anything else. */
export function parseSlackTarget(target: Target): SlackTarget {
  const m = /^slack:([^/]+)\/([^/]+)(?:\/(\d+\.\d+))?$/.exec(target);
  if (!m) throw new DeliveryError('not_found', `"${target}" is not a Slack target (expected slack:<team>/<channel>).`);
  return { teamId: m[1], channelId: m[2], threadTs: m[3] };
}

// Moved to slack-clients.ts; re-exported for the callers that import them from here.
export { createPostingClient, slackApiUrl } from './slack-clients.ts';

/**
 * Slack behind the ChatConnector contract: reply models go out as Block Kit through chat.postMessage
 * (with the delivery key as message metadata) and chat.update; Slack's errors come back as the
 * delivery codes the job decides on. The token per target's workspace comes from `clients`: one bot
 * token for every workspace, or each workspace's OAuth installation (an uninstalled workspace fails
 * as `auth`, which the delivery job does not retry).
 */
export class SlackConnector implements ChatConnector {
  readonly platform = 'slack';
  private readonly clients: SlackWorkspaceClients;
  /** Who can read each channel (the last-step guard); the component shares it with the membership listeners. */
  readonly audiences: SlackAudience;

  constructor(
    clients: WebClient | SlackWorkspaceClients,
    private readonly logger?: Logger,
    audiences?: SlackAudience,
  ) {
    this.clients = clients instanceof WebClient ? singleWorkspaceClientsOf(clients) : clients;
    const reading = (teamId: string) => this.clients.reading(teamId);
    this.audiences =
      audiences ??
      new SlackAudience(reading, new SlackUserDirectory(reading, logger ?? createLogger('silent')), logger);
  }

  /**
   * See {@link SlackAudience}: a thread target is judged by its channel. Throws DeliveryError `auth`
   * when the workspace has no installation (a post there fails the same way, and reaches nobody).
   */
  async audience(target: Target): Promise<Audience> {
    try {
      const t = parseSlackTarget(target);
      if (t.channelId.startsWith('@'))
        return (await this.audiences.checkPerson(t.teamId, t.channelId.slice(1))).audience;
      return (await this.audiences.check(t.teamId, t.channelId)).audience;
    } catch (err) {
      if (err instanceof DeliveryError && err.code === 'auth') throw err;
      return 'unknown';
    }
  }

  /** `slack:T1/U2` → `slack:T1/@U2`: the DM between the bot and that person (opened on first post). */
  directTarget(platformUserKey: string): Target | undefined {
    const m = /^slack:([^/]+)\/([UW][A-Z0-9]+)$/.exec(platformUserKey);
    return m ? `slack:${m[1]}/@${m[2]}` : undefined;
  }

  /** `slack:T1/C2` + ts → `slack:T1/C2/<ts>`: replies in that message's thread. */
  threadOf(target: Target, externalId: string): Target | undefined {
    const t = parseSlackTarget(target);
    return t.threadTs || !/^\d+\.\d+$/.test(externalId) ? undefined : `slack:${t.teamId}/${t.channelId}/${externalId}`;
  }

  async post(target: Target, reply: Reply, opts: { idempotencyKey?: string } = {}): Promise<{ externalId: string }> {
    const t = parseSlackTarget(target);
    const channel = await this.channelOf(t);
    const res = await this.call(t.teamId, 'chat.postMessage', (client) =>
      client.chat.postMessage({
        channel,
        ...(t.threadTs ? { thread_ts: t.threadTs } : {}),
        ...renderBlocks(reply, { teamId: t.teamId }),
        unfurl_links: false,
        unfurl_media: false,
        ...(opts.idempotencyKey
          ? { metadata: { event_type: DELIVERY_EVENT_TYPE, event_payload: { key: opts.idempotencyKey } } }
          : {}),
      }),
    );
    if (!res.ts) throw new DeliveryError('temporary', 'Slack accepted the message but returned no timestamp.');
    if (reply.images?.length) await this.uploadImages(t, channel, reply.images);
    return { externalId: res.ts };
  }

  /**
   * The reply's pictures as files shared right under the message, through Slack's upload flow
   * (files.getUploadURLExternal, the bytes to the URL it gives, files.completeUploadExternal with
   * channel_id; files:write). The message is out already: a failed upload (a workspace that has not
   * granted files:write yet, Slack down) is logged and the post stands without pictures.
   */
  private async uploadImages(t: SlackTarget, channel: string, images: NonNullable<Reply['images']>): Promise<void> {
    try {
      await this.call(t.teamId, 'files.uploadV2', (client) =>
        client.files.uploadV2({
          channel_id: channel,
          ...(t.threadTs ? { thread_ts: t.threadTs } : {}),
          file_uploads: images.map((image) => ({
            file: Buffer.from(image.pngBase64, 'base64'),
            filename: image.filename,
            title: image.title,
            alt_text: image.altText.slice(0, 1000),
          })),
        }),
      );
    } catch (err) {
      this.logger?.warn(
        { team: t.teamId, channel, err: err instanceof Error ? err.message : String(err) },
        'the pictures of a Slack post could not be uploaded; the message went out without them',
      );
    }
  }

  async findPosted(target: Target, idempotencyKey: string): Promise<{ externalId: string } | undefined> {
    const t = parseSlackTarget(target);
    t.channelId = await this.channelOf(t);
    const oldest = String((Date.now() - FIND_POSTED_WINDOW_MS) / 1000);
    let cursor: string | undefined;
    for (let page = 0; page < FIND_POSTED_MAX_PAGES; page++) {
      const res = await this.call(t.teamId, 'conversations.history', (client) =>
        t.threadTs
          ? client.conversations.replies({
              channel: t.channelId,
              ts: t.threadTs,
              include_all_metadata: true,
              oldest,
              limit: 200,
              ...(cursor ? { cursor } : {}),
            })
          : client.conversations.history({
              channel: t.channelId,
              include_all_metadata: true,
              oldest,
              limit: 200,
              ...(cursor ? { cursor } : {}),
            }),
      );
      // The typed response declares event_payload as {}: it is whatever we posted, { key }.
      const found = res.messages?.find(
        (m) =>
          m.metadata?.event_type === DELIVERY_EVENT_TYPE &&
          (m.metadata.event_payload as { key?: string } | undefined)?.key === idempotencyKey,
      );
      if (found?.ts) return { externalId: found.ts };
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  async update(target: Target, externalId: string, reply: Reply): Promise<void> {
    const t = parseSlackTarget(target);
    const channel = await this.channelOf(t);
    await this.call(t.teamId, 'chat.update', (client) =>
      client.chat.update({ channel, ts: externalId, ...renderBlocks(reply, { teamId: t.teamId }) }),
    );
  }

  /** DMs opened so far, by `<team>/<user>`: conversations.open answers the same channel every time. */
  private readonly directChannels = new Map<string, string>();

  /** The channel id to post to: a `@U…` target is the DM with that person (conversations.open, im:write). */
  private async channelOf(t: SlackTarget): Promise<string> {
    if (!t.channelId.startsWith('@')) return t.channelId;
    const user = t.channelId.slice(1);
    const key = `${t.teamId}/${user}`;
    const known = this.directChannels.get(key);
    if (known) return known;
    const res = await this.call(t.teamId, 'conversations.open', (client) => client.conversations.open({ users: user }));
    const id = res.channel?.id;
    if (!id) throw new DeliveryError('temporary', `Slack opened no DM with ${user}.`, undefined, false);
    this.directChannels.set(key, id);
    return id;
  }

  async health(): Promise<ConnectorHealth> {
    try {
      return await this.clients.health();
    } catch (err) {
      const e = toDeliveryError(err);
      return { ok: false, detail: e.code === 'auth' ? 'authentication failed: check SLACK_BOT_TOKEN' : e.message };
    }
  }

  private async call<T>(teamId: string, method: string, fn: (client: WebClient) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.clients.posting(teamId));
    } catch (err) {
      const e = toDeliveryError(err);
      // A refused token may be stale (reinstalled since): look it up afresh next time.
      if (e.code === 'auth') this.clients.forget(teamId);
      this.logger?.warn(
        { method, team: teamId, code: e.code, err: e.message, retryAfterMs: e.retryAfterMs },
        'Slack Web API call failed',
      );
      throw e;
    }
  }
}

const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'no_permission',
  'missing_scope',
  'team_access_not_granted',
  'ekm_access_denied',
]);
const NOT_FOUND_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'message_not_found',
  'cant_update_message',
  'thread_not_found',
]);
const TEMPORARY_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Maps a Web API failure to a delivery code: rate limits (with Retry-After), auth failures and
 * missing channels/messages stop or delay the job; 5xx and network errors are retried. Whether Slack
 * may have taken a post before the error ({@link DeliveryError.mayHavePosted}): yes for a timeout, a
 * dropped connection, a 5xx and Slack's internal_error kind; no for the rest.
 */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as Partial<WebAPICallError> & {
    data?: { error?: string };
    retryAfter?: number;
    statusCode?: number;
    message?: string;
  };
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return new DeliveryError('rate_limited', 'Slack rate-limited this call.', Math.max(1, e.retryAfter ?? 1) * 1000);
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown';
      if (code === 'ratelimited') return new DeliveryError('rate_limited', 'Slack rate-limited this call.', 1000);
      if (AUTH_ERRORS.has(code))
        return new DeliveryError(
          'auth',
          `Slack refused the bot token (${code}): check SLACK_BOT_TOKEN (or reinstall Rapport in that workspace) and the app's scopes.`,
        );
      if (NOT_FOUND_ERRORS.has(code))
        return new DeliveryError(
          'not_found',
          `Slack cannot find the channel or message (${code}); invite @Rapport to the channel or relink it.`,
        );
      // internal_error and its kind: "it's possible some aspect of the operation succeeded" (Slack's docs).
      if (TEMPORARY_ERRORS.has(code)) return new DeliveryError('temporary', `Slack had a temporary problem (${code}).`);
      // Any other answer is Slack refusing the call (invalid_blocks, msg_too_long, ...): nothing was posted.
      return new DeliveryError('unknown', `Slack rejected the call (${code}).`, undefined, false);
    }
    case ErrorCode.HTTPError:
      if (e.statusCode === 429) return new DeliveryError('rate_limited', 'Slack rate-limited this call.', 1000);
      if (e.statusCode === 401 || e.statusCode === 403)
        return new DeliveryError('auth', `Slack answered HTTP ${e.statusCode}: check SLACK_BOT_TOKEN.`);
      if (e.statusCode === 404) return new DeliveryError('not_found', 'Slack answered HTTP 404: check SLACK_API_URL.');
      // A 5xx or 408 may come after Slack took the message; another status is a refusal.
      return new DeliveryError(
        'temporary',
        `Slack answered HTTP ${e.statusCode}.`,
        undefined,
        e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 408,
      );
    case ErrorCode.RequestError:
      // A refused connection or an unknown host never reached Slack; a timeout (the client's 10 s) or a
      // dropped connection may have, after Slack took the message.
      return new DeliveryError(
        'temporary',
        `Could not reach Slack: ${e.message ?? 'network error'}.`,
        undefined,
        !neverSent(err),
      );
    default:
      return new DeliveryError('unknown', `Slack call failed: ${e.message ?? String(err)}`);
  }
}
