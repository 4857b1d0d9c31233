import type { DbClient } from './db-client.ts';
import type { MailboxCursor } from './generated/client.ts';

/** One IMAP folder of one mailbox. */
export interface MailboxFolderKey {
  mailbox: string;
  folder: string;
}

/** How far a folder was synced, or null before its first sync. */
export function findMailboxCursor(client: DbClient, key: MailboxFolderKey): Promise<MailboxCursor | null> {
  return client.mailboxCursor.findUnique({ where: { mailbox_folder: key } });
}

/** Stores how far a folder was synced (now), clearing its last error. */
export async function saveMailboxCursor(
  client: DbClient,
  key: MailboxFolderKey,
  at: { uidValidity: bigint; lastUid: number; highestModseq: bigint | null },
  now = new Date(),
): Promise<void> {
  await client.mailboxCursor.upsert({
    where: { mailbox_folder: key },
    create: { ...key, ...at, lastSyncAt: now },
    update: { ...at, lastSyncAt: now, lastError: null },
  });
}

/** Remembers why a folder's last sync failed (the first 500 characters). */
export async function saveMailboxError(client: DbClient, key: MailboxFolderKey, message: string): Promise<void> {
  await client.mailboxCursor.updateMany({ where: key, data: { lastError: message.slice(0, 500) } });
}

/** The cursors of these mailboxes, by mailbox and folder. */
export function listMailboxCursors(client: DbClient, mailboxes: string[]): Promise<MailboxCursor[]> {
  return client.mailboxCursor.findMany({
    where: { mailbox: { in: mailboxes } },
    orderBy: [{ mailbox: 'asc' }, { folder: 'asc' }],
  });
}
