import type { Actor } from '../domain/actor.ts';
import type { ChannelRef } from '../domain/channel-ref.ts';
import type { DescribePerson } from '../services/reps.service.ts';

export type { Actor } from '../domain/actor.ts';
export type { ChannelRef } from '../domain/channel-ref.ts';

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
  /**
   * The platform's user directory as seen from this request's installation (Slack: users.info, the
   * workspace and Enterprise Grid org the request came through), for colleagues named before they ever
   * used Rapport (`assign 3 <@U0REP2>`) and the check that only members are given follow-ups. Absent
   * (console, Teams): people are named by what was typed.
   */
  people?: PeopleDirectory;
}

/**
 * Looks people up on their platform. `platformUserId` has the actor's form ("T1/U0REP2" in Slack).
 * Returns undefined when the platform cannot say; never throws.
 */
export interface PeopleDirectory {
  describe: DescribePerson;
}
