import type { FetchMessageObject } from 'imapflow';

/**
 * One row per UID out of a FETCH's rows. imapflow hands on every untagged FETCH that arrives while
 * the command runs, one row each: a server may add one of its own for a message being fetched
 * (another session changed its flags: `* 2 FETCH (UID 2 FLAGS (\Seen))`, which Dovecot sends after
 * the body rows once QRESYNC is on), and may answer `BODY[] NIL`. A row that `has` what was asked
 * for is never replaced by one that has not; rows without a UID are dropped.
 */
export function rowsByUid(
  rows: readonly FetchMessageObject[],
  has: (m: FetchMessageObject) => boolean,
): Map<number, FetchMessageObject> {
  const byUid = new Map<number, FetchMessageObject>();
  for (const m of rows) {
    if (!m.uid) continue;
    const kept = byUid.get(m.uid);
    if (!kept || has(m) || !has(kept)) byUid.set(m.uid, m);
  }
  return byUid;
}

/** The message source (or, for one fetched as headers only, its headers) a row holds; undefined when it holds none. */
export function fetchedBody(m: FetchMessageObject): Buffer | undefined {
  // `BODY[] NIL` comes through imapflow as `source: false`.
  const body = Buffer.isBuffer(m.source) ? m.source : Buffer.isBuffer(m.headers) ? m.headers : undefined;
  return body && body.length > 0 ? body : undefined;
}

/** A row of a metadata FETCH that carries the message's size (RFC822.SIZE), as the batches need. */
export const hasSize = (m: FetchMessageObject): boolean => typeof m.size === 'number';

/** A row of a body FETCH that carries the message's body. */
export const hasBody = (m: FetchMessageObject): boolean => fetchedBody(m) !== undefined;
