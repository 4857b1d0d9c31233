import type { Platform } from '../db/generated/enums.ts';

/** Who runs a command, from where, and when. Built by each connector from its platform's request. */
export interface CommandContext {
  actor: Actor;
  /** The channel the command was typed in (for link/unlink and where reminders go). */
  channel?: ChannelRef;
  /** Clock for everything time-based in this command; tests pass a fixed one. */
  now: Date;
  /**
   * Idempotency key of the request that carried the command (Slack trigger/event id, Teams activity id,
   * console request id). The same key never writes twice.
   */
  requestKey?: string;
}

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

export interface ChannelRef {
  platform: Platform;
  /** Platform channel id as stored in ChannelLink.channelRef ("T1/C2" for Slack, the conversation id for Teams, "team" for the console). */
  channelRef: string;
  /** Target string connectors post to (see connectors/chat-connector.ts), e.g. "slack:T1/C2". */
  target: string;
}
