import type { ReadinessCheck } from '../../src/runtime/readiness.ts';
import type { MailboxSync } from './mailbox-sync.ts';

/**
 * A standby's lock holder counts as gone once it has not renewed the lock for this share of the TTL
 * (a live holder renews every third of it).
 */
const STALE_SHARE = 0.5;

/**
 * `/readyz`'s line for one mailbox: what its syncer does (watching, syncing, retrying and why), the
 * folders it syncs and skips, the last sync and how many mails it logged. A standby asks Redis who
 * holds the lock: a holder that stopped renewing it (killed, frozen) is said to be gone, with when
 * this process takes over, instead of "syncs it" until the lock runs out.
 */
export function mailboxReadiness(s: MailboxSync): ReadinessCheck {
  return {
    name: `imap:${s.config.address}`,
    async check() {
      const st = s.status;
      if (st.state === 'standby') return { ok: true, detail: await standbyDetail(s) };
      if (st.lastError) return { ok: false, detail: st.lastError };
      const listed = s.config.folders;
      const folders = listed
        .filter((f) => !st.skippedFolders[f])
        // `\Sent` naming a folder also listed is that folder; one not looked up yet says so.
        .filter((f) => !listed.includes(st.resolvedFolders[f] ?? ''))
        .map((f) =>
          st.resolvedFolders[f] ? `${st.resolvedFolders[f]} (${f})` : f.startsWith('\\') ? `${f} (looking for it)` : f,
        );
      const skipped = Object.entries(st.skippedFolders).map(([f, why]) => `${f}: ${why}`);
      return {
        ok: true,
        detail: `${st.state}${st.mode ? ` (${st.mode})` : ''}; folders ${folders.join(', ') || 'none'}${skipped.length > 0 ? ` (not synced: ${skipped.join('; ')})` : ''}; last sync ${st.lastSyncAt?.toISOString() ?? 'not yet'}; logged ${st.counts.logged}`,
      };
    },
  };
}

async function standbyDetail(s: MailboxSync): Promise<string> {
  const holder = await s.lockHolder();
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  const retry = seconds(s.standbyRetryMs);
  if (holder.kind === 'this-process') return 'taking over the mailbox lock; syncing';
  if (holder.kind === 'nobody')
    return `nobody holds the mailbox lock (its holder stopped); this process takes it within ${retry} s`;
  if (holder.renewedAgoMs <= s.lockTtlMs * STALE_SHARE)
    return `another process holds the mailbox lock and syncs it (renewed ${seconds(holder.renewedAgoMs)} s ago)`;
  return `the process holding the mailbox lock has not renewed it for ${seconds(holder.renewedAgoMs)} s (stopped or frozen?); this process takes over when it runs out, within ${seconds(holder.expiresInMs) + retry} s`;
}
