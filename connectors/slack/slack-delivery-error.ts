import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import { DeliveryError, neverSent } from '../chat-connector.ts';

const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'no_permission',
  'missing_scope',
  'team_access_not_granted',
  'ekm_access_denied',
]);
const NOT_FOUND_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'message_not_found',
  'cant_update_message',
  'thread_not_found',
]);
const TEMPORARY_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Maps a Web API failure to a delivery code: rate limits (with Retry-After), auth failures and
 * missing channels/messages stop or delay the job; 5xx and network errors are retried. Whether Slack
 * may have taken a post before the error ({@link DeliveryError.mayHavePosted}): yes for a timeout, a
 * dropped connection, a 5xx and Slack's internal_error kind; no for the rest.
 */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as Partial<WebAPICallError> & {
    data?: { error?: string };
    retryAfter?: number;
    statusCode?: number;
    message?: string;
  };
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return new DeliveryError('rate_limited', 'Slack rate-limited this call.', Math.max(1, e.retryAfter ?? 1) * 1000);
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown';
      if (code === 'ratelimited') return new DeliveryError('rate_limited', 'Slack rate-limited this call.', 1000);
      if (AUTH_ERRORS.has(code))
        return new DeliveryError(
          'auth',
          `Slack refused the bot token (${code}): check SLACK_BOT_TOKEN (or reinstall Rapport in that workspace) and the app's scopes.`,
        );
      if (NOT_FOUND_ERRORS.has(code))
        return new DeliveryError(
          'not_found',
          `Slack cannot find the channel or message (${code}); invite @Rapport to the channel or relink it.`,
        );
      // internal_error and its kind: "it's possible some aspect of the operation succeeded" (Slack's docs).
      if (TEMPORARY_ERRORS.has(code)) return new DeliveryError('temporary', `Slack had a temporary problem (${code}).`);
      // Any other answer is Slack refusing the call (invalid_blocks, msg_too_long, ...): nothing was posted.
      return new DeliveryError('unknown', `Slack rejected the call (${code}).`, undefined, false);
    }
    case ErrorCode.HTTPError:
      if (e.statusCode === 429) return new DeliveryError('rate_limited', 'Slack rate-limited this call.', 1000);
      if (e.statusCode === 401 || e.statusCode === 403)
        return new DeliveryError('auth', `Slack answered HTTP ${e.statusCode}: check SLACK_BOT_TOKEN.`);
      if (e.statusCode === 404) return new DeliveryError('not_found', 'Slack answered HTTP 404: check SLACK_API_URL.');
      // A 5xx or 408 may come after Slack took the message; another status is a refusal.
      return new DeliveryError(
        'temporary',
        `Slack answered HTTP ${e.statusCode}.`,
        undefined,
        e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 408,
      );
    case ErrorCode.RequestError:
      // A refused connection or an unknown host never reached Slack; a timeout (the client's 10 s) or a
      // dropped connection may have, after Slack took the message.
      return new DeliveryError(
        'temporary',
        `Could not reach Slack: ${e.message ?? 'network error'}.`,
        undefined,
        !neverSent(err),
      );
    default:
      return new DeliveryError('unknown', `Slack call failed: ${e.message ?? String(err)}`);
  }
}
