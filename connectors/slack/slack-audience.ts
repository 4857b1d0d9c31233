import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/logger.ts';
import { DeliveryError, type Audience } from '../chat-connector.ts';
import type { SlackPersonStanding, SlackUserDirectory } from './slack-user-directory.ts';
import { toDeliveryError } from './slack-delivery-error.ts';

/**
 * How long an answer is reused. Membership events (member_joined_channel, channel_shared, ...) drop it
 * at once in the process that receives them; a worker process that posts but receives no events
 * asks again after this long.
 */
export const AUDIENCE_CACHE_MS = 60_000;
/** After `unknown` (a failed lookup), how soon Slack is asked again. */
const UNKNOWN_CACHE_MS = 5_000;
/** A channel with more members than this is not checked person by person: `unknown` (fail closed). */
export const MAX_MEMBERS_CHECKED = 1_000;
/** users.info lookups in flight at once while checking a channel's members. */
const MEMBER_LOOKUP_CONCURRENCY = 8;
const CACHE_MAX = 10_000;

/** Why a channel is not internal; also what doctor and /readyz report. */
export interface AudienceVerdict {
  audience: Audience;
  /** One phrase: "shared with another organisation (Slack Connect)", "has a guest", "conversations.info failed: …". */
  reason: string;
  /** Slack did not answer (down, a 5xx, a timeout, a refused connection): asked again later, it may say. */
  unreachable?: boolean;
}

interface Entry {
  verdict: AudienceVerdict;
  expiresAt: number;
}

/** The conversations.info fields the check reads (Slack's `Channel` object). */
interface ChannelInfo {
  is_im?: boolean;
  user?: string;
  is_ext_shared?: boolean;
  is_shared?: boolean;
  is_org_shared?: boolean;
  is_pending_ext_shared?: boolean;
  pending_shared?: string[];
  pending_connected_team_ids?: string[];
}

/**
 * Who can read a Slack channel, for the last-step guard: `external` when conversations.info says it
 * is shared outside the organisation (is_ext_shared; is_shared without is_org_shared; a pending
 * Slack Connect invitation) or one of its members (conversations.members, then users.info) is a
 * guest (is_restricted / is_ultra_restricted), from another workspace, or unknown to Slack; `unknown`
 * when any of those calls fails or the channel is too large to check; else `internal`. Org-shared
 * channels of an Enterprise Grid org stay internal: the same company, members checked like any.
 */
export class SlackAudience {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<AudienceVerdict>>();

  private readonly unknownCacheMs: number;

  /** @param options.unknownCacheMs how long an `unknown` verdict is kept (default {@link UNKNOWN_CACHE_MS}). */
  constructor(
    private readonly clientFor: (teamId: string) => Promise<WebClient>,
    private readonly users: SlackUserDirectory,
    private readonly logger?: Logger,
    options: { unknownCacheMs?: number } = {},
  ) {
    this.unknownCacheMs = options.unknownCacheMs ?? UNKNOWN_CACHE_MS;
  }

  /**
   * The verdict for channel `channelId` of workspace `teamId` (cached). Throws only DeliveryError
   * `auth` when Rapport is not installed in that workspace (nothing can be posted there at all).
   */
  async check(teamId: string, channelId: string): Promise<AudienceVerdict> {
    const key = `${teamId}/${channelId}`;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.verdict;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const work: Promise<AudienceVerdict> = this.lookUp(teamId, channelId)
      .catch((err: Error): AudienceVerdict => {
        // Not installed there: no post can reach anyone, and the caller fails the post as `auth`.
        if (err instanceof DeliveryError && err.code === 'auth') throw err;
        return {
          audience: 'unknown',
          reason: `Slack could not say (${err.message})`,
          unreachable: toDeliveryError(err).code === 'temporary',
        };
      })
      .then((verdict) => {
        // A check begun before forgetPerson() may have read the old profile: answered, never kept.
        if (this.inFlight.get(key) === work) {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          const ttl = verdict.audience === 'unknown' ? this.unknownCacheMs : AUDIENCE_CACHE_MS;
          this.cache.set(key, { verdict, expiresAt: Date.now() + ttl });
        }
        if (verdict.audience !== 'internal')
          this.logger?.info({ team: teamId, channel: channelId, ...verdict }, 'Slack channel is not internal');
        return verdict;
      })
      .finally(() => {
        if (this.inFlight.get(key) === work) this.inFlight.delete(key);
      });
    this.inFlight.set(key, work);
    return work;
  }

  /**
   * Who reads a DM between the bot and `userId`: that person alone, so their standing decides (a member
   * of this workspace is `internal`; a guest or someone of another workspace is not; unknown while
   * users.info fails). Not cached here: the user directory caches the profile.
   */
  async checkPerson(teamId: string, userId: string): Promise<AudienceVerdict> {
    const profile = await this.users.get(teamId, userId);
    if (!profile)
      return {
        audience: 'unknown',
        reason: `users.info failed for ${userId}`,
        unreachable: this.users.lookupFailedByOutage(teamId, userId),
      };
    if (profile.isGuest) return { audience: 'external', reason: `${userId} is a guest` };
    if (profile.teamId && profile.teamId !== teamId)
      return { audience: 'external', reason: `${userId} belongs to another workspace` };
    return { audience: 'internal', reason: `a direct message with ${userId}, a member of this workspace` };
  }

  /**
   * A person's account changed (user_change, heard by this process or by another one and broadcast, see
   * slack.component.ts): their profile is asked of Slack again next time, and so is every channel
   * verdict (any channel may hold them; checks under way are not kept) unless `now`, the standing the
   * event carries, is the one this process held for them.
   */
  forgetPerson(userId: string, now?: SlackPersonStanding): void {
    const before = this.users.cachedStanding(userId);
    this.users.forget(userId);
    // A new name, status or timezone (most user_change events in a busy workspace) changes nobody's
    // reading of a channel: the channel verdicts stay. Unknown before or after: all asked again.
    if (now && before && sameStanding(before, now)) return;
    this.cache.clear();
    this.inFlight.clear();
  }

  /** Membership or sharing changed (member_joined_channel, channel_shared, ...): ask Slack again next time. */
  forget(teamId: string, channelId: string): void {
    this.cache.delete(`${teamId}/${channelId}`);
  }

  private async lookUp(teamId: string, channelId: string): Promise<AudienceVerdict> {
    const client = await this.clientFor(teamId);
    const { channel } = (await client.conversations.info({ channel: channelId })) as { channel?: ChannelInfo };
    if (!channel) return { audience: 'unknown', reason: 'conversations.info returned no channel' };
    if (channel.is_ext_shared)
      return { audience: 'external', reason: 'shared with another organisation (Slack Connect)' };
    if (
      channel.is_pending_ext_shared ||
      (channel.pending_shared?.length ?? 0) > 0 ||
      (channel.pending_connected_team_ids?.length ?? 0) > 0
    )
      return { audience: 'external', reason: 'a Slack Connect invitation to another organisation is pending' };
    if (channel.is_shared && !channel.is_org_shared)
      return { audience: 'external', reason: 'shared with another workspace' };

    const members = channel.is_im && channel.user ? [channel.user] : await this.members(client, channelId);
    if (members === undefined)
      return { audience: 'unknown', reason: `more than ${MAX_MEMBERS_CHECKED} members, too many to check one by one` };
    let next = 0;
    let verdict: AudienceVerdict | undefined;
    const worker = async () => {
      while (!verdict && next < members.length) {
        const userId = members[next++];
        const profile = await this.users.get(teamId, userId);
        if (!profile)
          verdict ??= {
            audience: 'unknown',
            reason: `users.info failed for member ${userId}`,
            unreachable: this.users.lookupFailedByOutage(teamId, userId),
          };
        else if (profile.isGuest) verdict = { audience: 'external', reason: `has a guest (${userId})` };
        else if (profile.teamId && profile.teamId !== teamId && !channel.is_org_shared)
          verdict = { audience: 'external', reason: `has a member of another workspace (${userId})` };
      }
    };
    await Promise.all(Array.from({ length: MEMBER_LOOKUP_CONCURRENCY }, worker));
    return verdict ?? { audience: 'internal', reason: `${members.length} member(s), all of this workspace` };
  }

  /** Every member id, or undefined when there are more than {@link MAX_MEMBERS_CHECKED}. */
  private async members(client: WebClient, channelId: string): Promise<string[] | undefined> {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.conversations.members({ channel: channelId, limit: 200, ...(cursor ? { cursor } : {}) });
      all.push(...(res.members ?? []));
      if (all.length > MAX_MEMBERS_CHECKED) return undefined;
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return all;
  }
}

function sameStanding(a: SlackPersonStanding, b: SlackPersonStanding): boolean {
  return a.teamId === b.teamId && a.enterpriseId === b.enterpriseId && a.isGuest === b.isGuest && a.isBot === b.isBot;
}
