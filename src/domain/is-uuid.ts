const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `s` is a UUID as the database writes ids (any case): a word typed where an id is asked for. */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
