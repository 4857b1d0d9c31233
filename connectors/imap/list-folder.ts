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
  if (!Array.isArray(found)) throw searchFailed(client, `list the folder (UID SEARCH ${JSON.stringify(query)})`);
  // `N:*` always matches the folder's last message, even below N: it is not after the cursor.
  const after = 'afterUid' in from ? from.afterUid : 0;
  const uids = found.filter((uid) => uid > after);
  // imapflow answers sorted and without repeats; a copy sorted again is made only when not (a million UIDs).
  for (let i = 1; i < uids.length; i++) if (uids[i] <= uids[i - 1]) return [...new Set(uids)].sort((a, b) => a - b);
  return uids;
}

/** Longest UID set put in one command: a whole command line stays under 1,000 bytes (RFC 2683 asks servers for 8,000). */
export const MAX_UID_SET_BYTES = 800;

/** A page of {@link listPage}: the rows, and the UIDs still in the folder that the server sent no row for. */
export interface ListedPage {
  rows: FetchMessageObject[];
  unanswered: number[];
}

/**
 * The size and INTERNALDATE of the messages of `uids` (ascending), one row per UID in UID order. Asked for
 * as runs (`a:b`) in sets of at most {@link MAX_UID_SET_BYTES} (a list of scattered UIDs in one command
 * would be longer than some servers take, and one range over them could return far more rows than the
 * page), and again for the UIDs a server left out (one that answers only part of a command, RFC 9738). A
 * UID with no row is one expunged since it was listed, or, when a search still finds it, `unanswered`. A
 * row a server adds for another session's flag change (no size) never takes the place of the message's own.
 */
export async function listPage(client: ImapFlow, uids: readonly number[]): Promise<ListedPage> {
  const wanted = new Set(uids);
  const found = new Map<number, FetchMessageObject>();
  let rest = [...uids];
  while (rest.length > 0) {
    for (const set of uidSets(rest)) {
      const rows = await client.fetchAll(set, { uid: true, size: true, internalDate: true }, { uid: true });
      // A row without a size (another session's flag change) never stands for the message.
      for (const m of rowsByUid(rows, hasSize).values())
        if (wanted.has(m.uid) && hasSize(m) && !found.has(m.uid)) found.set(m.uid, m);
    }
    const left = rest.filter((uid) => !found.has(uid));
    if (left.length === rest.length) break;
    rest = left;
  }
  let unanswered: number[] = [];
  if (rest.length > 0) {
    const still = await stillInFolder(client, rest);
    unanswered = rest.filter((uid) => still.has(uid));
  }
  return { rows: [...found.values()].sort((a, b) => a.uid - b.uid), unanswered };
}

/** Ascending UIDs as IMAP sequence sets of runs (`a:b`), each at most {@link MAX_UID_SET_BYTES} long. */
export function uidSets(uids: readonly number[]): string[] {
  const sets: string[] = [];
  let set = '';
  for (let i = 0; i < uids.length; ) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j] + 1) j++;
    const run = j > i ? `${uids[i]}:${uids[j]}` : String(uids[i]);
    if (set && set.length + 1 + run.length > MAX_UID_SET_BYTES) {
      sets.push(set);
      set = '';
    }
    set = set ? `${set},${run}` : run;
    i = j + 1;
  }
  if (set) sets.push(set);
  return sets;
}

/**
 * Which of `uids` are still in the folder. A UID another session expunged after this one listed it is
 * answered `BODY[] NIL` (Dovecot, with EXPUNGEISSUED), not left out: this tells a deleted mail from one
 * the server cannot send. Throws when the server refuses the search.
 */
export async function stillInFolder(client: ImapFlow, uids: readonly number[]): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  // Sets of runs a strict server takes (see MAX_UID_SET_BYTES), not one range: a range over scattered UIDs
  // could answer with a large part of the folder.
  const found: number[] = [];
  for (const set of uidSets([...uids].sort((a, b) => a - b))) {
    const answer = await client.search({ uid: set }, { uid: true });
    if (!Array.isArray(answer)) throw searchFailed(client, 'say which mails are still in the folder');
    found.push(...answer);
  }
  return new Set(found);
}

/** A search the server answered NO or BAD to (imapflow resolves it `false`). */
export class SearchRefusedError extends Error {}

/** Why a search gave no answer: imapflow answers the same when the server refused it and when the connection is gone. */
function searchFailed(client: ImapFlow, what: string): Error {
  return client.usable && client.mailbox
    ? new SearchRefusedError(`the mail server refused to ${what}`)
    : new Error(`the connection to the mail server closed before it could ${what}`);
}
