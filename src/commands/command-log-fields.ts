/**
 * What a log line may say about a chat command: its verb and its length, never its text. The text
 * names customers and people and quotes what they said; logs are kept outside the database, where
 * `forget` and `rapport erase` cannot reach them.
 */
export function commandLogFields(text: string): { verb: string; chars: number } {
  const first = text.trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  return { verb: /^[a-z][a-z-]{0,23}$/.test(first) ? first : '(not a command word)', chars: text.length };
}
