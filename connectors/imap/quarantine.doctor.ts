import type { DoctorCheck } from '../../src/runtime/doctor-check.ts';
import { readDataDirLock } from '../../src/db/data-dir-lock.ts';
import { listQuarantinedMail } from '../../src/db/mail-quarantine.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';

/**
 * `rapport doctor`: mail the IMAP sync could not store and kept in quarantine (stored nowhere else), how
 * much and since when, and what to do. Not read while the running bot holds the embedded database.
 */
export const mailQuarantineDoctorCheck: DoctorCheck = async (config) => {
  const name = 'mail quarantine';
  if (config.imap.length === 0) return { name, ok: true, detail: 'no mailbox configured' };
  const running = config.databaseUrl ? undefined : readDataDirLock(config.dataDir);
  if (running)
    return {
      name,
      ok: true,
      detail: `not read: the running bot (pid ${running.pid}) holds the embedded database ("rapport mail quarantine" once it is stopped)`,
    };
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
  } catch {
    return { name, ok: true, detail: 'not read: the database cannot be opened (see the database check)' };
  }
  try {
    const { rows, total } = await listQuarantinedMail(db, { limit: 1 });
    const oldest = rows[0];
    if (total === 0 || !oldest) return { name, ok: true, detail: 'no mail waiting: every fetched message was stored' };
    return {
      name,
      ok: false,
      detail: `${total} mail(s) the sync could not store are kept in quarantine (stored nowhere else in Rapport), the oldest since ${oldest.createdAt.toISOString().slice(0, 10)} (${oldest.mailbox}${oldest.folder ? ` ${oldest.folder}` : ''}): ${oldest.error.replace(/\s+/g, ' ').slice(0, 200)}`,
      fix: '"rapport mail quarantine" shows each one and why; fix the cause, then "rapport mail retry" (or "rapport mail drop ID --yes" for one that should never be logged).',
    };
  } catch (err) {
    return {
      name,
      ok: false,
      detail: `could not read the quarantine: ${(err as Error).message.split('\n')[0].slice(0, 200)}`,
      fix: 'run "rapport migrate" if the database is not migrated yet; else see the database check',
    };
  } finally {
    await db.close();
  }
};
