import { findRepByPlatformUser } from '../../src/db/rep.repository.ts';
import { TeamsInfo, type TeamsChannelAccount, type TurnContext } from 'botbuilder';
import type { Database } from '../../src/db/database.ts';
import type { Standing } from '../../src/domain/roles.ts';
import { platformUserKey } from '../../src/services/reps.service.ts';
import { memberAudience } from './teams-roster.ts';

/** Who the person behind an activity is, for the role check before any command, click or form. */
export interface TeamsStanding {
  standing: Standing;
  /** Their email as Teams gives it (RAPPORT_ADMINS may list it). */
  email?: string;
}

/**
 * The standing of an activity's author, from Teams' own member record (getMember in the
 * conversation): a guest or anonymous user is `guest`, a member of another tenant than
 * MICROSOFT_APP_TENANT_ID is `external`, our tenant (or, where Teams names no tenant, one of our email
 * domains) is `member`. When Teams cannot say (the lookup fails, or names no tenant), only a person
 * already known as a Rep is a member; anyone else is `unverified` and refused with a sentence (fail
 * closed), like Slack.
 */
export async function teamsStanding(
  context: TurnContext,
  deps: { db: Database; tenantId?: string; internalDomains: readonly string[] },
): Promise<TeamsStanding> {
  const a = context.activity;
  let member: TeamsChannelAccount | undefined;
  try {
    member = await TeamsInfo.getMember(context, a.from.id);
  } catch {
    member = undefined;
  }
  const email = member?.email ?? (member?.userPrincipalName?.includes('@') ? member.userPrincipalName : undefined);
  if (member) {
    // Our tenant is configured (MICROSOFT_APP_TENANT_ID), never taken from the activity: anyone can
    // install an app with our bot id in a tenant of their own and write to it from there.
    const audience = memberAudience(member, deps.tenantId, deps.internalDomains);
    if (audience === 'internal') return { standing: 'member', email };
    if (audience === 'external')
      return {
        standing: member.userRole === 'guest' || member.userRole === 'anonymous' ? 'guest' : 'external',
        email,
      };
  }
  const known = await findRepByPlatformUser(deps.db.prisma, [
    platformUserKey('teams', a.from.aadObjectId ?? a.from.id),
  ]);
  return { standing: known ? 'member' : 'unverified', ...(email ? { email } : {}) };
}
