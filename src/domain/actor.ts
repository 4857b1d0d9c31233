import type { Platform } from '../db/generated/enums.ts';

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
}
