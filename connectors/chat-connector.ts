import type { Reply } from '../src/commands/reply-model.ts';

/**
 * Where a message goes: "<platform>:<address>", e.g. "console:team", "slack:T123/C456",
 * "slack:T123/C456/1700000000.000100" (a thread), "teams:<conversation id>".
 */
export type Target = string;

/** Errors a connector maps its platform's failures to; the delivery job decides retry or give up from the code. */
export type DeliveryErrorCode = 'temporary' | 'auth' | 'not_found' | 'rate_limited' | 'unknown';

export class DeliveryError extends Error {
  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    /** For rate_limited: how long the platform asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** Who can read a target (defined in the core so commands can ask too); see {@link ChatConnector.audience}. */
export type { Audience } from '../src/domain/audience.ts';
import type { Audience } from '../src/domain/audience.ts';

export interface ConnectorHealth {
  ok: boolean;
  /** One sentence: "connected as @rapport", "authentication failed: check SLACK_BOT_TOKEN". */
  detail: string;
}

/** Every chat platform implements this; the same reply models render on each. */
export interface ChatConnector {
  /** Target prefix this connector owns ("slack", "teams", "console"). */
  readonly platform: string;
  /**
   * Posts a new message. `idempotencyKey` travels with the message where the platform can carry it
   * (Slack message metadata, console feed) so that {@link findPosted} can find it again.
   */
  post(target: Target, reply: Reply, opts?: { idempotencyKey?: string }): Promise<{ externalId: string }>;
  /**
   * After a crash between posting and recording the post, finds the message posted with this key,
   * if the platform lets us look (Slack: channel history with metadata; Teams: the card read back
   * through Microsoft Graph). Undefined: not posted within the window looked at. `unknown` (or the
   * method absent): the platform cannot tell now; the delivery posts again, so a post is at least
   * once rather than lost. An implementation answers `unknown` rather than throw for what it cannot read.
   */
  findPosted?(
    target: Target,
    idempotencyKey: string,
  ): Promise<{ externalId: string } | { unknown: string } | undefined>;
  /**
   * The last-step guard: who can read `target` right now. The delivery path asks before every
   * internal post (suggestion, reminder, escalation, digest, notice, command answer with CRM data)
   * and redirects anything not `internal` to the default team channel. Implementations cache the
   * answer and drop it on the platform's membership events (Slack member_joined_channel /
   * channel_shared, Teams conversationUpdate); a failed lookup is `unknown`. The one exception:
   * DeliveryError `auth` when the app is not installed where the target is (nothing can be posted
   * there, so nobody can read it): the delivery fails as it would on posting.
   */
  audience(target: Target): Promise<Audience>;
  /** Replaces a message posted earlier (button clicked, state changed). */
  update(target: Target, externalId: string, reply: Reply): Promise<void>;
  /** Removes a message posted earlier (the data it quoted is gone). Absent: callers update it instead. */
  delete?(target: Target, externalId: string): Promise<void>;
  health(): Promise<ConnectorHealth>;
  /**
   * The target of a private (1:1) conversation between the bot and the person with this platform user
   * key (`slack:T1/U2`, `teams:<aad id>`), or undefined when this connector cannot reach them directly.
   * The target is only an address: opening the conversation happens when something is posted there.
   */
  directTarget?(platformUserKey: string): Target | undefined;
  /**
   * The target of a thread under the message `externalId` posted at `target` (replies there do not
   * fill the channel), or undefined when the platform has no threads or `target` is one already.
   */
  threadOf?(target: Target, externalId: string): Target | undefined;
}
