import { WebClient } from '@slack/web-api';
import type { Reply } from '../../src/commands/reply-model.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import {
  DeliveryError,
  type Audience,
  type AudienceOptions,
  type ChatConnector,
  type ConnectorHealth,
  type Target,
} from '../chat-connector.ts';
import { SlackAudience, type AudienceVerdict } from './slack-audience.ts';
import { toDeliveryError } from './slack-delivery-error.ts';
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
  async audience(target: Target, opts?: AudienceOptions): Promise<Audience> {
    let verdict: AudienceVerdict;
    try {
      const t = parseSlackTarget(target);
      verdict = t.channelId.startsWith('@')
        ? await this.audiences.checkPerson(t.teamId, t.channelId.slice(1))
        : await this.audiences.check(t.teamId, t.channelId);
    } catch (err) {
      if (err instanceof DeliveryError && err.code === 'auth') throw err;
      return 'unknown';
    }
    if (verdict.unreachable && opts?.unreachable === 'throw')
      throw new DeliveryError(
        'temporary',
        `Slack could not say who reads ${target}: ${verdict.reason}.`,
        undefined,
        false,
      );
    return verdict.audience;
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
