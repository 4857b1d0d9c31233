import type { Platform } from '../db/generated/enums.ts';
import type { Standing } from './roles.ts';

/** The person behind a command or a click, as their chat platform names them. */
export interface Actor {
  platform: Platform;
  /** The platform's user id ("U123", a Teams AAD id, "console:alice"). */
  platformUserId: string;
  displayName?: string;
  email?: string;
  /** IANA timezone for dates typed by this person. */
  timezone: string;
  /**
   * True when `timezone` is only the server's default (`RAPPORT_TIMEZONE`), not read from the person's
   * profile: the console and `rapport exec` have no profile. Then the timezone the rep set with the
   * `timezone` command wins, and `timezone` is used only for a rep seen for the first time. Default false.
   */
  timezoneIsDefault?: boolean;
  /**
   * What the platform says about the person (see src/domain/roles.ts): guests, other organisations
   * and people the platform could not vouch for run nothing. Absent: the connector vouches (console, CLI).
   */
  standing?: Standing;
  /** The platform says this person administers the workspace (Slack is_admin / is_owner / is_primary_owner). */
  platformAdmin?: boolean;
  /** Console sign-ins: the person's role (see src/domain/roles.ts); absent for the operator's own tools (admin). */
  consoleRole?: 'admin' | 'rep';
}
