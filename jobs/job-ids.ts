/**
 * Deterministic BullMQ job ids: the same logical job always gets the same id, so adding it twice is
 * a no-op. BullMQ forbids ':' in custom ids, so parts are joined with '-' and ':' becomes '.'.
 */
export function jobId(...parts: Array<string | number>): string {
  return parts.map((p) => String(p).replaceAll(':', '.')).join('-');
}
