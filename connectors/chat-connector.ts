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

export interface ConnectorHealth {
  ok: boolean;
  /** One sentence: "connected as @rapport", "authentication failed: check SLACK_BOT_TOKEN". */
  detail: string;
}

/**
 * Who can read a target: only our own people (`internal`), someone from outside the company (a guest,
 * another tenant or workspace, an anonymous user: `external`), or cannot tell right now (`unknown`,
 * which callers treat as not safe).
 */
export type Audience = 'internal' | 'external' | 'unknown';

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
   * if the platform lets us look (Slack: channel history with metadata). Absent = cannot tell.
   */
  findPosted?(target: Target, idempotencyKey: string): Promise<{ externalId: string } | undefined>;
  /** Replaces a message posted earlier (button clicked, state changed). */
  update(target: Target, externalId: string, reply: Reply): Promise<void>;
  /** Removes a message posted earlier (the data it quoted is gone). Absent: callers update it instead. */
  delete?(target: Target, externalId: string): Promise<void>;
  /**
   * Who is in the target now (membership cached, invalidated by the platform's membership events).
   * Fails closed: a lookup that fails answers `unknown`, never `internal`.
   */
  audience?(target: Target): Promise<Audience>;
  health(): Promise<ConnectorHealth>;
}
