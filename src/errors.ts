/** The few error codes users and handlers act on. */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'ambiguous'
  | 'conflict'
  | 'forbidden'
  | 'erased'
  | 'unavailable'
  | 'temporary'
  | 'auth'
  | 'rate_limited'
  | 'unknown';

/** An error whose message is a sentence a user can act on; never shown with a stack trace. */
export class RapportError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'RapportError';
  }
}

export const invalidInput = (message: string, details?: Record<string, unknown>) =>
  new RapportError('invalid_input', message, details);
export const notFound = (message: string, details?: Record<string, unknown>) =>
  new RapportError('not_found', message, details);

/** The sentence to show a user for any error: coded errors speak for themselves, others get a generic line. */
export function userMessage(err: unknown): string {
  if (err instanceof RapportError) return err.message;
  return 'Something went wrong on our side. The error was logged; try again, and tell your Rapport admin if it keeps happening.';
}
