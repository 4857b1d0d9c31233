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
}
