import type { Actor } from '../domain/actor.ts';
import type { ChannelRef } from '../domain/channel-ref.ts';

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
}
