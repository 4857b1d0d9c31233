import { isDatabaseUnavailableError } from '../src/db/sql-errors.ts';

/** An HTTP status and a JSON body with a sentence, for an error no route answered itself. */
export interface HttpErrorAnswer {
  status: number;
  body: { error: string; message: string; text: string; tone: 'error' };
}

const answer = (status: number, error: string, message: string): HttpErrorAnswer => ({
  status,
  // `text` + `tone`: the console page and `rapport exec` show any reply-shaped body as it is.
  body: { error, message, text: message, tone: 'error' },
});

/**
 * What to answer for an error that reached the final handler: the body parser's refusals are the
 * client's (413 too large, 400 malformed), a database that cannot be reached is 503, anything else
 * is a bug (500, logged). Never a stack trace.
 */
export function httpErrorAnswer(err: unknown): HttpErrorAnswer {
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; limit?: unknown; expose?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (e.type === 'entity.too.large')
    return answer(
      413,
      'too_large',
      `The request body is larger than the ${typeof e.limit === 'number' ? `${Math.round(e.limit / 1024)} kB` : 'allowed'} limit; send a shorter command.`,
    );
  if (e.type === 'entity.parse.failed')
    return answer(400, 'bad_request', 'The request body is not valid JSON; send {"text": "<command>"}.');
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
    return answer(415, 'unsupported', 'Send the request body as UTF-8 JSON.');
  if (status >= 400 && status < 500)
    return answer(
      status,
      'bad_request',
      e.expose === true ? String((err as Error).message) : 'The request was refused.',
    );
  if (isDatabaseUnavailableError(err))
    return answer(503, 'unavailable', 'Rapport cannot reach its database right now; try again in a minute.');
  return answer(
    500,
    'internal',
    'Something went wrong on our side; the error was logged. Try again, and tell your Rapport admin if it keeps happening.',
  );
}
