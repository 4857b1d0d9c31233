import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/logger.ts';
import { toDeliveryError } from './slack-delivery-error.ts';

/** What Rapport needs to know about a Slack user, from users.info. */
export interface SlackUserProfile {
  /** The user's home workspace: another team's id for a Slack Connect member. */
  teamId?: string;
  /** Enterprise Grid: the org the user belongs to (`enterprise_user.enterprise_id`); absent outside Grid. */
  enterpriseId?: string;
  /** Display name, else real name, else handle: what people see in Slack. */
  name?: string;
  /** Needs the users:read.email scope; Slack Connect orgs may hide it. */
  email?: string;
  /** IANA timezone; absent when Slack does not say. */
  timezone?: string;
  isBot: boolean;
  /** A multi- or single-channel guest: in practice a customer invited into our workspace. */
  isGuest: boolean;
  /** A workspace admin or owner (is_admin, is_owner, is_primary_owner): a Rapport admin too. */
  isAdmin: boolean;
}

/** What decides who may read a channel a person is in: a change of anything else keeps the channel verdicts. */
export interface SlackPersonStanding {
  teamId?: string;
  enterpriseId?: string;
  isGuest: boolean;
  isBot: boolean;
}

/** A Slack `User` object (users.info's `user`, user_change's `user`) as Rapport keeps it. */
export function slackProfileOf(user: SlackUserObject | undefined): SlackUserProfile {
  return {
    teamId: user?.team_id,
    enterpriseId: user?.enterprise_user?.enterprise_id || undefined,
    name: user?.profile?.display_name || user?.real_name || user?.profile?.real_name || user?.name || undefined,
    email: user?.profile?.email?.toLowerCase() || undefined,
    timezone: user?.tz || undefined,
    isBot: user?.is_bot === true || user?.id === 'USLACKBOT',
    isGuest: user?.is_restricted === true || user?.is_ultra_restricted === true,
    isAdmin: user?.is_admin === true || user?.is_owner === true || user?.is_primary_owner === true,
  };
}

/** The fields of a Slack `User` object Rapport reads. */
export interface SlackUserObject {
  id?: string;
  team_id?: string;
  name?: string;
  real_name?: string;
  tz?: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  enterprise_user?: { enterprise_id?: string };
  profile?: { display_name?: string; real_name?: string; email?: string };
}

/** The standing part of a profile. */
export function standingOf(p: SlackUserProfile): SlackPersonStanding {
  return { teamId: p.teamId, enterpriseId: p.enterpriseId, isGuest: p.isGuest, isBot: p.isBot };
}

/** How long a users.info answer is reused. Profiles (timezone, email) rarely change. */
export const USER_CACHE_MS = 3_600_000;
/** After a failed users.info, how long before asking again, so a Slack outage is not hammered per message. */
const FAILURE_CACHE_MS = 60_000;
const USER_CACHE_MAX = 5_000;

interface Entry {
  profile: SlackUserProfile | undefined;
  expiresAt: number;
  /** The failed lookup was Slack not answering (down, a 5xx, a timeout), not a refusal. */
  outage?: boolean;
}

/**
 * users.info with a cache per workspace and user (an hour; a minute after a failure). Concurrent
 * lookups of one user share one call. A failure returns undefined and is logged, never thrown: callers
 * fall back (stored rep timezone, the default timezone, the platform id as name).
 */
export class SlackUserDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<SlackUserProfile | undefined>>();

  private readonly failureCacheMs: number;

  /** @param options.failureCacheMs how long a failed lookup is kept (default {@link FAILURE_CACHE_MS}). */
  constructor(
    private readonly clientFor: (teamId: string) => Promise<WebClient>,
    private readonly logger: Logger,
    options: { failureCacheMs?: number } = {},
  ) {
    this.failureCacheMs = options.failureCacheMs ?? FAILURE_CACHE_MS;
  }

  /**
   * The profile of `userId` as seen from workspace `teamId`, or undefined when Slack cannot say.
   * @param options.skipFailureCache ask Slack again even within a minute of a failed lookup (a held
   *   message's retry), while a known profile is still reused.
   */
  async get(
    teamId: string,
    userId: string,
    options: { skipFailureCache?: boolean } = {},
  ): Promise<SlackUserProfile | undefined> {
    const key = `${teamId}/${userId}`;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > Date.now() && (hit.profile || !options.skipFailureCache)) return hit.profile;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const work: Promise<SlackUserProfile | undefined> = this.fetch(teamId, userId).then((entry) => {
      // A lookup asked before forget() may carry the old profile: answered, never kept.
      if (this.inFlight.get(key) === work) {
        this.inFlight.delete(key);
        if (this.cache.size >= USER_CACHE_MAX) this.cache.clear();
        this.cache.set(key, entry);
      }
      return entry.profile;
    });
    this.inFlight.set(key, work);
    return work;
  }

  /**
   * Slack said the person's account changed (user_change: made a guest, deactivated, moved): their
   * profile is read again at the next use, as seen from every workspace this process asked from.
   */
  /** Whether the last lookup of this person failed because Slack did not answer (kept a minute). */
  lookupFailedByOutage(teamId: string, userId: string): boolean {
    const entry = this.cache.get(`${teamId}/${userId}`);
    return entry !== undefined && !entry.profile && entry.outage === true;
  }

  /** The standing this process holds for the person (from any workspace's lookup), if it holds one. */
  cachedStanding(userId: string): SlackPersonStanding | undefined {
    for (const [key, entry] of this.cache)
      if (key.endsWith(`/${userId}`) && entry.profile) return standingOf(entry.profile);
    return undefined;
  }

  forget(userId: string): void {
    for (const key of this.cache.keys()) if (key.endsWith(`/${userId}`)) this.cache.delete(key);
    for (const key of this.inFlight.keys()) if (key.endsWith(`/${userId}`)) this.inFlight.delete(key);
  }

  /** users.info now, as the entry to keep (fetch never throws: a failure is kept for a minute). */
  private async fetch(teamId: string, userId: string): Promise<Entry> {
    const key = `${teamId}/${userId}`;
    let entry: Entry;
    try {
      const { user } = await (await this.clientFor(teamId)).users.info({ user: userId });
      const profile = slackProfileOf(user as SlackUserObject | undefined);
      entry = { profile, expiresAt: Date.now() + USER_CACHE_MS };
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, user: key },
        'users.info failed; going on without the profile (stored timezone, no email)',
      );
      entry = {
        profile: undefined,
        expiresAt: Date.now() + this.failureCacheMs,
        outage: toDeliveryError(err).code === 'temporary',
      };
    }
    return entry;
  }
}
