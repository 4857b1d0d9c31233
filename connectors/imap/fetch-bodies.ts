import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { hasBody, rowsByUid } from './fetch-rows.ts';
import { SearchRefusedError, stillInFolder, uidSets } from './list-folder.ts';

/**
 * The sources of `batch` (ascending UIDs; one over `maxMessageBytes`, its header block), one row per UID,
 * asked for in UID sets a strict server takes (a batch of 100 ten-digit UIDs is a line of over 1 kB). A
 * row without the body (another session's flag change, `BODY[] NIL`) never replaces the body row. A mail
 * deleted by another session since the listing comes as `BODY[] NIL` (Dovecot) or with no row: it has no
 * row here (gone). One still in the folder without its body gets a row without one (the server cannot
 * send it: a failure of that mail). Only a search the server refuses counts mails as still there; any
 * other failure (the connection gone, throttling) is thrown, no fault of the mails.
 */
export async function fetchBodies(
  client: ImapFlow,
  batch: readonly FetchMessageObject[],
  maxMessageBytes: number,
): Promise<Map<number, FetchMessageObject>> {
  const big = batch.filter((m) => (m.size ?? 0) > maxMessageBytes);
  const small = batch.filter((m) => (m.size ?? 0) <= maxMessageBytes);
  const rows: FetchMessageObject[] = [];
  for (const set of uidSets(small.map((m) => m.uid)))
    rows.push(...(await client.fetchAll(set, { uid: true, source: true, internalDate: true }, { uid: true })));
  for (const set of uidSets(big.map((m) => m.uid)))
    rows.push(
      ...(await client.fetchAll(set, { uid: true, headers: true, internalDate: true, size: true }, { uid: true })),
    );
  const byUid = rowsByUid(rows, hasBody);
  const bodiless = batch.filter((m) => !byUid.has(m.uid) || !hasBody(byUid.get(m.uid) as FetchMessageObject));
  if (bodiless.length > 0) {
    const uids = bodiless.map((m) => m.uid);
    const still = await stillInFolder(client, uids).catch((err) => {
      if (err instanceof SearchRefusedError) return new Set(uids);
      throw err;
    });
    for (const m of bodiless)
      if (!still.has(m.uid)) byUid.delete(m.uid);
      else if (!byUid.has(m.uid)) byUid.set(m.uid, { seq: 0, uid: m.uid });
  }
  return byUid;
}
