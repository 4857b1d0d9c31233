import type { Config } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import { pendingQuarantinedMail, recordQuarantineRetry } from '../../src/db/mail-quarantine.repository.ts';
import { logEmails } from '../../src/services/log-email.service.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { parseEmailSource } from './parse-email-source.ts';

/** What `rapport mail retry` did. */
export interface QuarantineRetryResult {
  tried: number;
  logged: number;
  /** Duplicates (logged meanwhile) and mail a filter or tombstone skips: resolved too. */
  skipped: number;
  failed: number;
}

/**
 * Logs every quarantined message again through the same parser and service as the sync, one at a
 * time; a message that is stored (or is now a duplicate or skipped) is marked resolved, one that fails
 * again keeps its row with the new error.
 */
export async function retryQuarantinedMail(
  db: Database,
  config: Pick<Config, 'imap' | 'internalDomains' | 'mailFilters' | 'mailFilterDefaults'>,
  hooks: PipelineHooks = noopPipelineHooks,
): Promise<QuarantineRetryResult> {
  const result: QuarantineRetryResult = { tried: 0, logged: 0, skipped: 0, failed: 0 };
  for (const q of await pendingQuarantinedMail(db)) {
    result.tried++;
    const mailbox = config.imap.find((m) => m.address === q.mailbox);
    try {
      const email = await parseEmailSource(
        q.raw,
        { mailbox: q.mailbox, folder: q.folder ?? undefined, uid: q.uid ?? undefined },
        { maxMessageBytes: mailbox?.maxMessageBytes },
      );
      const own = q.mailbox.slice(q.mailbox.lastIndexOf('@') + 1);
      const { outcomes, failure } = await logEmails(db, [email], {
        internalDomains: [...config.internalDomains, ...(own ? [own] : [])],
        skipLists: mailbox?.skipLists,
        hooks,
        filters: config.mailFilters,
        defaultFilters: config.mailFilterDefaults,
        createCompanies: mailbox?.createCompanies,
      });
      if (failure) throw failure.error;
      if (outcomes[0]?.status === 'logged') result.logged++;
      else result.skipped++;
      await recordQuarantineRetry(db, q.id, { resolved: true });
    } catch (err) {
      result.failed++;
      await recordQuarantineRetry(db, q.id, {
        resolved: false,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return result;
}
