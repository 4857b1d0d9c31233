import type { Config } from '../../src/config/env.ts';
import type { Database } from '../../src/db/database.ts';
import {
  deleteQuarantinedMail,
  pendingQuarantinedMail,
  pendingQuarantinedMailPage,
  type QuarantinedMail,
  type QuarantinePageEnd,
  recordQuarantineRetry,
} from '../../src/db/mail-quarantine.repository.ts';
import { isFreeMailDomain } from '../../src/domain/email-participants.ts';
import { mailHeaderAddresses } from '../../src/domain/mail-header-addresses.ts';
import { logEmails } from '../../src/services/log-email.service.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { addressTombstoneKeys, isTombstoned } from '../../src/services/tombstones.service.ts';
import { headerBlock, parseEmailSource } from './parse-email-source.ts';

/** What `rapport mail retry` did. */
export interface QuarantineRetryResult {
  tried: number;
  logged: number;
  /**
   * Duplicates (logged meanwhile) and mail a filter or tombstone skips: resolved too. Mail that names an
   * erased person anywhere in its address headers is deleted instead, once handled as the sync handles it;
   * one of those that fails again is deleted unlogged and counted here.
   */
  skipped: number;
  failed: number;
}

/**
 * Logs every quarantined message again (or the pending ones of `only`, by id) through the same parser and
 * service as the sync, one at a time; a message that is stored (or is now a duplicate or skipped) is marked resolved, one that fails
 * again keeps its row with the new error. One that names an erased person is logged as the sync logs it
 * (without them, or skipped when it is theirs) and its row deleted, logged or not: its raw source holds them.
 */
export async function retryQuarantinedMail(
  db: Database,
  config: Pick<Config, 'imap' | 'internalDomains' | 'mailFilters' | 'mailFilterDefaults'>,
  hooks: PipelineHooks = noopPipelineHooks,
  only?: readonly string[],
): Promise<QuarantineRetryResult> {
  const result: QuarantineRetryResult = { tried: 0, logged: 0, skipped: 0, failed: 0 };
  if (only) {
    // These rows alone (those still pending: a resolved one is not logged twice).
    for (const id of only) {
      const q = await pendingQuarantinedMail(db, id);
      if (q) await retryOne(db, config, hooks, q, result);
    }
    return result;
  }
  // A page of ids at a time, each mail's raw source read on its own: however many there are (and fail
  // again), every one is tried once per run, and only one is in memory.
  let after: QuarantinePageEnd | undefined;
  for (;;) {
    const page = await pendingQuarantinedMailPage(db, after);
    if (page.length === 0) break;
    after = page.at(-1);
    for (const { id } of page) {
      const q = await pendingQuarantinedMail(db, id);
      if (q) await retryOne(db, config, hooks, q, result);
    }
  }
  return result;
}

/** Logs one quarantined message again (see {@link retryQuarantinedMail}), counting what happened in `result`. */
async function retryOne(
  db: Database,
  config: Pick<Config, 'imap' | 'internalDomains' | 'mailFilters' | 'mailFilterDefaults'>,
  hooks: PipelineHooks,
  q: QuarantinedMail,
  result: QuarantineRetryResult,
): Promise<void> {
  result.tried++;
  const mailbox = config.imap.find((m) => m.address === q.mailbox);
  // Its raw source names an erased person: logged or not, the row goes (their data goes with the erasure).
  let erased = false;
  try {
    erased = await namesErasedPerson(db, q.raw);
    // Kept without its source (the mail server sent no body): parsed, it would be an empty mail skipped
    // as "no sender" and marked resolved. It stays, failed, until someone looks it up on the server.
    if (q.raw.length === 0)
      throw new Error('kept without its source (the mail server sent no body): look it up on the mail server');
    const email = await parseEmailSource(
      q.raw,
      { mailbox: q.mailbox, folder: q.folder ?? undefined, uid: q.uid ?? undefined },
      // As the sync parsed it: a mail kept with its headers only says why its body is missing, and an
      // insane Date header falls back on the server's date.
      {
        maxMessageBytes: mailbox?.maxMessageBytes,
        fallbackDate: q.serverDate ?? undefined,
        sizeBytes: q.sizeBytes ?? undefined,
        // Kept with its headers only (nothing after them, the server's size larger): its body is missing even
        // when the limit was raised since.
        headersOnly: q.sizeBytes !== null && q.sizeBytes > q.raw.length && headerBlock(q.raw).length >= q.raw.length,
      },
    );
    const own = q.mailbox.slice(q.mailbox.lastIndexOf('@') + 1);
    const { outcomes, failure } = await logEmails(db, [email], {
      // As the sync counts them: a free-mail mailbox's domain (gmail.com) is its customers' too.
      internalDomains: [...config.internalDomains, ...(own && !isFreeMailDomain(own) ? [own] : [])],
      skipLists: mailbox?.skipLists,
      hooks,
      filters: config.mailFilters,
      defaultFilters: config.mailFilterDefaults,
      createCompanies: mailbox?.createCompanies,
    });
    if (failure) throw failure.error;
    if (outcomes[0]?.status === 'logged') result.logged++;
    else result.skipped++;
    // Logged as the sync logs it (the erased people left out, or skipped when it is theirs), the raw source
    // still holds them: a mail naming an erased person anywhere in its address headers goes, not kept resolved.
    if (erased) await deleteQuarantinedMail(db.prisma, [q.id]);
    else await recordQuarantineRetry(db, q.id, { resolved: true });
  } catch (err) {
    // Failing again, it is not kept either when it names an erased person: their data goes with the erasure
    // (as the erase itself deleted such mail), whatever else the mail held. Gone, it counts as skipped.
    if (erased) {
      await deleteQuarantinedMail(db.prisma, [q.id]);
      result.skipped++;
      return;
    }
    result.failed++;
    await recordQuarantineRetry(db, q.id, {
      resolved: false,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Whether an address in the mail's people headers (From, To, Cc, Bcc, Reply-To, Sender) was erased. */
async function namesErasedPerson(db: Database, raw: Buffer): Promise<boolean> {
  return isTombstoned(db, mailHeaderAddresses(raw).addresses.flatMap(addressTombstoneKeys));
}
