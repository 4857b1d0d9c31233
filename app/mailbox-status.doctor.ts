import { listMailboxCursors } from '../src/db/mailbox-cursor.repository.ts';
import { SENT_FOLDER, type Config } from '../src/config/env.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { readDataDirLock, servesHttp } from '../src/db/data-dir-lock.ts';
import { askRunningRapport } from '../src/net/running-rapport.ts';
import type { DoctorResult } from '../src/runtime/doctor-check.ts';

/**
 * `rapport doctor`: the last sync of every configured mailbox folder and its last error in words,
 * read from the running bot's /readyz when it holds the embedded database, else from MailboxCursor.
 */
export async function mailboxStatusDoctorCheck(config: Config): Promise<DoctorResult> {
  if (config.imap.length === 0) return { name: 'mailbox sync', ok: true, detail: 'no mailbox configured' };
  const running = config.databaseUrl ? undefined : readDataDirLock(config.dataDir);
  if (running && servesHttp(running)) {
    const answer = await askRunningRapport(running, '/readyz', { token: config.consoleToken });
    const body = (answer.reached ? answer.json : undefined) as
      | { checks?: Record<string, { ok: boolean; detail: string }> }
      | undefined;
    const lines = Object.entries(body?.checks ?? {}).filter(([name]) => name.startsWith('imap:'));
    if (lines.length === 0)
      return {
        name: 'mailbox sync',
        ok: false,
        detail: `the running bot (pid ${running.pid}) reports no mailbox sync`,
        fix: 'check the bot log for IMAP errors',
      };
    return {
      name: 'mailbox sync',
      ok: lines.every(([, c]) => c.ok),
      detail: lines.map(([n, c]) => `${n.slice(5)}: ${c.detail}`).join('; '),
    };
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
  try {
    const cursors = await listMailboxCursors(
      db.prisma,
      config.imap.map((m) => m.address),
    );
    const lines = config.imap.flatMap((m) =>
      m.folders.map((entry) => {
        // `\Sent` is synced under the server's name for it: the cursor of a folder not named in the list.
        const c = cursors.find(
          (x) =>
            x.mailbox === m.address && (entry === SENT_FOLDER ? !m.folders.includes(x.folder) : x.folder === entry),
        );
        if (!c) return { ok: true, text: `${m.address}/${entry}: never synced yet` };
        const folder = c.folder === entry ? entry : `${c.folder} (${entry})`;
        const when = c.lastSyncAt ? c.lastSyncAt.toISOString() : 'never';
        return {
          ok: !c.lastError,
          text: `${m.address}/${folder}: last sync ${when}, up to UID ${c.lastUid}${c.lastError ? `; last error: ${c.lastError}` : ''}`,
        };
      }),
    );
    return {
      name: 'mailbox sync',
      ok: lines.every((l) => l.ok),
      detail: lines.map((l) => l.text).join('; '),
      fix: 'see the imap check above for how to fix the connection',
    };
  } finally {
    await db.close();
  }
}
