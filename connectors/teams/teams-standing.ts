import { TeamsInfo, type TeamsChannelAccount, type TurnContext } from 'botbuilder';
import type { Standing } from '../../src/domain/roles.ts';
import type { TeamsMemberCache } from './teams-member-cache.ts';
import { memberAudience } from './teams-roster.ts';

/** Who the person behind an activity is, for the role check before any command, click or form. */
export interface TeamsStanding {
  standing: Standing;
  /** Their email as Teams gives it (RAPPORT_ADMINS may list it). */
  email?: string;
}

/**
 * The standing of an activity's author, from Teams' own member record (getMember in the
 * conversation, asked at every command, click and form): a guest or anonymous user is `guest`, a
 * member of another tenant than MICROSOFT_APP_TENANT_ID is `external`, our tenant (or, where Teams
 * names no tenant, one of our email domains) is `member`. Every answer is remembered for an hour
 * (teams-member-cache.ts, shared with the auto-logger). When getMember fails (Teams errs or times
 * out), only an answer Teams gave within that hour decides; otherwise, or when the record names
 * neither our tenant nor our domains, the author is `unverified` and refused with a sentence (fail
 * closed), like Slack. A stored Rep vouches for nobody: a Rep made earlier may be a guest now, and a
 * guest must not run commands whenever Teams' API hiccups.
 */
export async function teamsStanding(
  context: TurnContext,
  deps: { members: TeamsMemberCache; tenantId?: string; internalDomains: readonly string[] },
): Promise<TeamsStanding> {
  const a = context.activity;
  let member: TeamsChannelAccount | undefined;
  try {
    member = await TeamsInfo.getMember(context, a.from.id);
    deps.members.remember(a, member);
  } catch {
    member = deps.members.fresh(a);
  }
  if (!member) return { standing: 'unverified' };
  const email = member.email ?? (member.userPrincipalName?.includes('@') ? member.userPrincipalName : undefined);
  // Our tenant is configured (MICROSOFT_APP_TENANT_ID), never taken from the activity: anyone can
  // install an app with our bot id in a tenant of their own and write to it from there.
  const audience = memberAudience(member, deps.tenantId, deps.internalDomains);
  if (audience === 'internal') return { standing: 'member', email };
  if (audience === 'external')
    return {
      standing: member.userRole === 'guest' || member.userRole === 'anonymous' ? 'guest' : 'external',
      email,
    };
  return { standing: 'unverified', ...(email ? { email } : {}) };
}
