/**
 * What a log line may say about a chat command: its verb and its length, never its text. The text
 * names customers and people and quotes what they said; logs are kept outside the database, where
 * `forget` and `rapport erase` cannot reach them.
 */
export function commandLogFields(text: string): { verb: string; chars: number } {
  const first = text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  return { verb: /^[a-z][a-z-]{0,23}$/.test(first) ? first : '(not a command word)', chars: text.length };
}

/**
 * An error as a failed command's log line may show it: its class, code, the first line of its message
 * and where it was thrown, never the rest. PostgreSQL's `detail` ("Key (name)=(Acme Corp) already
 * exists"), Prisma's `meta` and its multi-line messages (which print the call's arguments) carry the
 * values the command wrote.
 */
export function errorLogFields(err: unknown): { type: string; code?: string; message: string; stack?: string } {
  if (!(err instanceof Error)) return { type: typeof err, message: 'not an Error' };
  const code = (err as { code?: unknown }).code;
  const message = err.message.split('\n').find((line) => line.trim() !== '') ?? '';
  const frames = err.stack
    ?.split('\n')
    .filter((line) => line.startsWith('    at '))
    .join('\n');
  return {
    type: err.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: message.trim().slice(0, 300),
    ...(frames ? { stack: frames } : {}),
  };
}
