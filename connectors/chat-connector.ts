import type { Reply } from '../src/commands/reply-model.ts';

/**
 * Where a message goes: "<platform>:<address>", e.g. "console:team", "slack:T123/C456",
 * "slack:T123/C456/1700000000.000100" (a thread), "teams:<conversation id>".
 */
export type Target = string;

/** Errors a connector maps its platform's failures to; the delivery job decides retry or give up from the code. */
export type DeliveryErrorCode = 'temporary' | 'auth' | 'not_found' | 'rate_limited' | 'unknown';

export class DeliveryError extends Error {
  /**
   * Whether the platform may have taken the message before this error came back: a timeout, a 5xx, a
   * dropped connection, an answer without the message's id. A `post` that fails so is not known to have
   * failed: the delivery stays `posting` and its next attempt looks the keyed message up (findPosted)
   * before posting again. False for what is known to come before anything was posted (a rate limit, a
   * refused token, a missing channel, a refused connection, an unknown host, a definite rejection).
   * Default: false for `rate_limited`, `auth` and `not_found`, true for `temporary` and `unknown`.
   */
  readonly mayHavePosted: boolean;

  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    /** For rate_limited: how long the platform asked us to wait. */
    readonly retryAfterMs?: number,
    mayHavePosted?: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
    this.mayHavePosted = mayHavePosted ?? (code === 'temporary' || code === 'unknown');
  }
}

/** Network error codes that mean the request never reached the platform: no connection was made. */
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether a failed HTTP request is known never to have reached the platform (the connection was
 * refused, the host unknown or unreachable): looked for in the error and its causes (`cause`,
 * `original`, an AggregateError's `errors`), as fetch, undici and the SDKs wrap them. A timeout or a
 * reset is not: the request may have been taken.
 */
export function neverSent(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; cause?: unknown; original?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NEVER_SENT_CODES.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => neverSent(x, depth + 1))) return true;
  return neverSent(e.cause, depth + 1) || neverSent(e.original, depth + 1);
}

/** Who can read a target (defined in the core so commands can ask too); see {@link ChatConnector.audience}. */
export type { Audience } from '../src/domain/audience.ts';
import type { Audience } from '../src/domain/audience.ts';

export interface ConnectorHealth {
  ok: boolean;
  /** One sentence: "connected as @rapport", "authentication failed: check SLACK_BOT_TOKEN". */
  detail: string;
}

/** How {@link ChatConnector.audience} answers when the platform itself does not. */
export interface AudienceOptions {
  /**
   * `throw`: a look-up the platform did not answer (down, a 5xx, a timeout or a refused connection;
   * not a rate limit) throws DeliveryError `temporary` instead of answering `unknown`, so a post waits
   * for the platform rather than going elsewhere. Default `unknown`.
   */
  unreachable?: 'unknown' | 'throw';
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
   * there, so nobody can read it): the delivery fails as it would on posting. With `unreachable:
   * 'throw'` (the delivery path's first question), a platform that did not answer throws instead.
   */
  audience(target: Target, opts?: AudienceOptions): Promise<Audience>;
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
