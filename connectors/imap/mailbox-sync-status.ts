import type { EmailSkipReason } from '../../src/domain/email-skip-rules.ts';

/** What one mailbox's syncer is doing; read by /readyz, `rapport doctor` and the tests. */
export interface MailboxSyncStatus {
  mailbox: string;
  /** `standby`: another process holds the mailbox lock; `watching`: synced, waiting for IDLE/poll. */
  state: 'starting' | 'standby' | 'syncing' | 'watching' | 'retrying' | 'stopped';
  holdsLock: boolean;
  /** How new mail is noticed: IDLE when the server offers it, else polling every IMAP_POLL_SECONDS. */
  mode: 'idle' | 'poll' | undefined;
  lastSyncAt: Date | undefined;
  /** The last error as a sentence saying what to do; cleared by the next successful sync. */
  lastError: string | undefined;
  lastErrorCode: string | undefined;
  /** Configured folders that are never synced (spam folders, `\Sent` on a server without one), with the reason. */
  skippedFolders: Record<string, string>;
  /** What an IMAP_FOLDERS entry such as `\Sent` named on the server (e.g. "Sent Items"). */
  resolvedFolders: Record<string, string>;
  counts: {
    logged: number;
    duplicates: number;
    /** Messages that kept failing to be written and were passed over after 3 tries. */
    failed: number;
    /** Of the failed ones, those kept raw in the quarantine table for `rapport mail retry`. */
    quarantined: number;
    /** By reason: the fixed reasons, `spam`, `bulk`, or a configured rule's own reason. */
    skipped: Partial<Record<EmailSkipReason | (string & {}), number>>;
  };
}

export function newMailboxSyncStatus(mailbox: string): MailboxSyncStatus {
  return {
    mailbox,
    state: 'starting',
    holdsLock: false,
    mode: undefined,
    lastSyncAt: undefined,
    lastError: undefined,
    lastErrorCode: undefined,
    skippedFolders: {},
    resolvedFolders: {},
    counts: { logged: 0, duplicates: 0, failed: 0, quarantined: 0, skipped: {} },
  };
}
