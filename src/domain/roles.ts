/**
 * Who may do what in Rapport. Three roles:
 * - `outsider`: a guest of our workspace/tenant or a person from another organisation (Slack Connect,
 *   another Teams tenant, anonymous): runs nothing, and their clicks are refused with a sentence;
 * - `rep`: a member of the installing company: everything a salesperson needs;
 * - `admin`: a rep who may also erase customers and rebind channels someone else linked. From
 *   RAPPORT_ADMINS (emails or platform ids) and the platform's own admins (Slack workspace
 *   admins/owners); the CLI and the zero-config local console are the operator's own tools and act as
 *   admins; a person signed in to the console has their account's role.
 */
export type Role = 'outsider' | 'rep' | 'admin';

/**
 * What the connector knows about the person, from the platform: `member` of the installing
 * workspace/tenant, `guest` there, `external` (another organisation), or `unverified` when the
 * platform could not say (users.info or getMember failed, and no answer of the last hour is
 * remembered): a stored Rep vouches for nobody.
 */
export type Standing = 'member' | 'guest' | 'external' | 'unverified';

/** The facts {@link roleOf} decides from (a subset of the command actor). */
export interface RoleFacts {
  platform: string;
  platformUserId: string;
  email?: string;
  /** Absent: the connector vouches for the person (console, CLI). */
  standing?: Standing;
  /** The platform says this person administers the workspace (Slack is_admin / is_owner). */
  platformAdmin?: boolean;
  /**
   * Console only: the role the person signed in with (their account's, or from RAPPORT_ADMINS for
   * Slack/Entra sign-ins). Absent: the operator's own tools (zero-config localhost, `rapport exec`), admins.
   */
  consoleRole?: 'admin' | 'rep';
}

/** The role of a person: outsiders first (no list makes a guest an admin), then admins, else rep. */
export function roleOf(facts: RoleFacts, admins: readonly string[]): Role {
  if (facts.standing && facts.standing !== 'member') return 'outsider';
  if (facts.platform === 'console') return facts.consoleRole ?? 'admin';
  if (facts.platformAdmin) return 'admin';
  const ids = new Set([facts.platformUserId, `${facts.platform}:${facts.platformUserId}`]);
  // "T1/U2" is also listed as "U2": a Slack user id is unique across workspaces.
  const slash = facts.platformUserId.lastIndexOf('/');
  if (slash >= 0) ids.add(facts.platformUserId.slice(slash + 1));
  const email = facts.email?.toLowerCase();
  return admins.some((a) => ids.has(a) || (email !== undefined && a === email)) ? 'admin' : 'rep';
}

/**
 * The sentence an outsider gets for any command or click. It names no customer and no data: the
 * person reading it may be the customer.
 */
export function outsiderRefusal(standing: Standing | undefined): string {
  if (standing === 'unverified')
    return 'Rapport could not check who you are right now (the platform did not answer), so it did nothing. Try again in a minute.';
  return 'Rapport is an internal tool of the team that added it here; people from outside that team (guests and other organisations) cannot use it, so nothing was done.';
}

/** The sentence a rep gets for an admin-only command. */
export function adminRefusal(what: string): string {
  return `Only a Rapport admin can ${what}. Ask an admin (listed in RAPPORT_ADMINS, or a workspace admin) to do it.`;
}
