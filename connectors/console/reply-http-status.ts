import type { Reply } from '../../src/commands/reply-model.ts';

/**
 * The HTTP status of a command's reply on the console API: 200 for answers (a saved write included,
 * even when its classification is delayed), 4xx for requests that cannot succeed as sent, 503 when a
 * dependency is down (try again later), 500 for a bug. The body is the reply either way, so every
 * status carries its sentence.
 */
export function replyHttpStatus(reply: Reply): number {
  if (reply.tone !== 'error' && reply.errorCode === undefined) return 200;
  switch (reply.errorCode) {
    case undefined:
      return 200;
    case 'invalid_input':
    case 'ambiguous':
    case 'erased':
      return 400;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'forbidden':
    case 'auth':
      return 403;
    case 'rate_limited':
      return 429;
    case 'unavailable':
    case 'temporary':
      return 503;
    default:
      return 500;
  }
}
