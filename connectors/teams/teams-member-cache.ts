import type { Activity, TeamsChannelAccount } from 'botbuilder';

/** How long a member record Teams gave (getMember) is remembered: an hour, like Slack's users.info cache. */
export const TEAMS_MEMBER_CACHE_MS = 3_600_000;
/** Members remembered per process before the cache starts over. */
const TEAMS_MEMBER_CACHE_MAX = 5_000;

/**
 * The member records Teams gave this process (getMember of an activity's author), by tenant and
 * person (Entra object id, else the Teams user id), for an hour. One cache per process, shared by the
 * auto-logger (which reads it before asking: one getMember per author per hour) and the standing check
 * before commands (which always asks, and falls back on a fresh answer from here when Teams does not
 * answer). Only answers are remembered: a failed lookup never is.
 */
export class TeamsMemberCache {
  private readonly entries = new Map<string, { member: TeamsChannelAccount; expiresAt: number }>();

  constructor(private readonly ttlMs = TEAMS_MEMBER_CACHE_MS) {}

  /** What Teams said about the activity's author within the last hour, if anything. */
  fresh(a: Partial<Activity>): TeamsChannelAccount | undefined {
    const key = memberKey(a);
    const hit = key ? this.entries.get(key) : undefined;
    if (!key || !hit) return undefined;
    if (hit.expiresAt > Date.now()) return hit.member;
    this.entries.delete(key);
    return undefined;
  }

  /** Teams just described the activity's author. */
  remember(a: Partial<Activity>, member: TeamsChannelAccount): void {
    const key = memberKey(a);
    if (!key) return;
    if (this.entries.size >= TEAMS_MEMBER_CACHE_MAX && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { member, expiresAt: Date.now() + this.ttlMs });
  }

  /**
   * Teams said these people joined or left (a conversationUpdate's membersAdded / membersRemoved, heard
   * by this process or another one, see teams.component.ts): what it said about them before (a member
   * now removed, someone back as a guest) is asked again at the next use. `ids` are Teams user ids
   * ("29:…") or Entra object ids, in any tenant.
   */
  forget(ids: readonly string[]): void {
    const gone = new Set(ids.filter((id) => id !== ''));
    if (gone.size === 0) return;
    for (const [key, { member }] of this.entries) {
      const person = key.slice(key.indexOf('|') + 1);
      if (gone.has(person) || gone.has(member.id ?? '') || gone.has(member.aadObjectId ?? '')) this.entries.delete(key);
    }
  }
}

/** "<activity's tenant>|<aadObjectId, else from.id>": one person as one tenant's Teams describes them. */
function memberKey(a: Partial<Activity>): string | undefined {
  const person = a.from?.aadObjectId ?? a.from?.id;
  if (!person) return undefined;
  const tenant = (a.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id ?? a.conversation?.tenantId;
  return `${typeof tenant === 'string' ? tenant : ''}|${person}`;
}
