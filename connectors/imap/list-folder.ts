import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { hasSize, rowsByUid } from './fetch-rows.ts';

/** Most messages whose size and date are read (and held) at once; the UIDs of the whole folder are listed first. */
export const DEFAULT_LIST_PAGE_MESSAGES = 5_000;

/** Where a pass starts: after the cursor, or (a first sync or a resync) everything that arrived since a date, or all. */
export type ListFrom = { afterUid: number } | { since: Date } | { all: true };

/**
 * The UIDs of the folder's messages after the cursor (or since a date, or all), ascending. UID SEARCH
 * answers with numbers alone, about 8 bytes a message, where the metadata of a message costs some 300
 * bytes held: a folder of a million messages is listed in megabytes, and its sizes are read a page at a
 * time ({@link listPage}). Throws when the server refuses the search.
 */
export async function listUids(client: ImapFlow, from: ListFrom): Promise<number[]> {
  const query =
    'afterUid' in from ? { uid: `${from.afterUid + 1}:*` } : 'since' in from ? { since: from.since } : { all: true };
  const found = await client.search(query, { uid: true });
  if (!Array.isArray(found))
    throw new Error(`the mail server refused to list the folder (UID SEARCH ${JSON.stringify(query)})`);
  // `N:*` always matches the folder's last message, even below N: it is not after the cursor.
  const after = 'afterUid' in from ? from.afterUid : 0;
  return [...new Set(found)].filter((uid) => uid > after).sort((a, b) => a - b);
}

/**
 * The size and INTERNALDATE of the messages of `uids`, one row per UID in UID order. A UID expunged
 * since it was listed has no row. A row a server adds for another session's flag change (no size) never
 * takes the place of the message's own row.
 */
export async function listPage(client: ImapFlow, uids: readonly number[]): Promise<FetchMessageObject[]> {
  if (uids.length === 0) return [];
  const rows = await client.fetchAll(uidSet(uids), { uid: true, size: true, internalDate: true }, { uid: true });
  const wanted = new Set(uids);
  return [...rowsByUid(rows, hasSize).values()].filter((m) => wanted.has(m.uid)).sort((a, b) => a.uid - b.uid);
}

/** An IMAP sequence set of ascending UIDs, runs of consecutive UIDs written `a:b` ("1:5000" for a full page). */
export function uidSet(uids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length; ) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j] + 1) j++;
    parts.push(j > i ? `${uids[i]}:${uids[j]}` : String(uids[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Which of `uids` are still in the folder. A UID another session expunged after this one listed it is
 * answered `BODY[] NIL` (Dovecot, with EXPUNGEISSUED), not left out: this tells a deleted mail from one
 * the server cannot send. Throws when the server refuses the search.
 */
export async function stillInFolder(client: ImapFlow, uids: readonly number[]): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  const found = await client.search({ uid: uidSet([...uids].sort((a, b) => a - b)) }, { uid: true });
  if (!Array.isArray(found)) throw new Error('the mail server refused to say which mails are still in the folder');
  return new Set(found);
}
