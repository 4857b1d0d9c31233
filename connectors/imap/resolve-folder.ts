import type { ImapFlow, ListResponse } from 'imapflow';
import { SENT_FOLDER } from '../../src/config/env.ts';

/** Folder names mail clients use for spam when the server has no SPECIAL-USE flag on it. */
const JUNK_FOLDER_NAME = /^(junk|spam|junk e-?mail|bulk mail|spamverdacht|courrier ind[ée]sirable|correo no deseado)$/i;

/** A configured folder entry on this server: the path to sync, or why it is not synced. */
export type ResolvedFolder = { path: string } | { skip: string };

/**
 * Resolves an IMAP_FOLDERS entry on the connected server. `\Sent` becomes the server's Sent folder
 * (its RFC 6154 flag, else a name such as "Sent Items", as imapflow's LIST reports it; `skip` when
 * there is none). Spam folders (RFC 6154 `\Junk`, or a junk name as the last path segment) are
 * skipped whatever IMAP_FOLDERS says.
 */
export async function resolveFolder(client: ImapFlow, entry: string): Promise<ResolvedFolder> {
  if (entry.toUpperCase() === 'INBOX') return { path: entry };
  const folders = await client.list();
  if (entry === SENT_FOLDER) {
    const sent = folders.find((f) => f.specialUse === '\\Sent' && !f.flags.has('\\Noselect'));
    return sent
      ? { path: sent.path }
      : { skip: 'the server has no Sent folder (none flagged \\Sent or named like one); name it in IMAP_FOLDERS' };
  }
  const reason = junkReason(
    folders.find((f) => f.path === entry),
    entry,
  );
  return reason ? { skip: reason } : { path: entry };
}

function junkReason(folder: ListResponse | undefined, path: string): string | undefined {
  if (folder?.specialUse === '\\Junk' || folder?.flags.has('\\Junk')) return 'the server marks it \\Junk (spam)';
  const name = folder?.name ?? path.split(/[./]/).pop() ?? path;
  return JUNK_FOLDER_NAME.test(name) ? 'its name says it holds spam' : undefined;
}
