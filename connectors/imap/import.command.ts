import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import type { Database } from '../../src/db/database.ts';
import { RapportError } from '../../src/errors.ts';
import type { InboundEmail } from '../../src/domain/email-message.ts';
import {
  EmailCustomerCache,
  logEmails,
  type LogEmailOptions,
  type LogEmailOutcome,
  type LogEmailsResult,
} from '../../src/services/log-email.service.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { readMbox } from './mbox-reader.ts';
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_MESSAGES, heldBytes } from './fetch-batches.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, parseEmailSource } from './parse-email-source.ts';

export interface ImportCounts {
  logged: number;
  duplicates: number;
  failures: number;
  skipped: Record<string, number>;
}

export interface ImportEmailFilesOptions {
  db: Database;
  /** One mbox file. */
  mbox?: string;
  /** A directory of .eml files (one message each; other files are ignored). */
  emlDir?: string;
  internalDomains: readonly string[];
  /** Skip mailing-list mail (List-Id). Default true. */
  skipLists?: boolean;
  /** Messages larger than this are logged with headers only. Default 20 MB. */
  maxMessageBytes?: number;
  /**
   * Told about every logged message after its batch committed, so imported mail is queued for
   * classification like synced mail. Default {@link noopPipelineHooks} (nothing is queued).
   */
  hooks?: PipelineHooks;
  /** Most messages written per transaction. Default {@link DEFAULT_BATCH_MESSAGES}. */
  batchSize?: number;
  /**
   * Most bytes of mail (as read) per transaction: the parsed batch waits in memory until it is
   * written. Default {@link DEFAULT_BATCH_BYTES}; a larger message is written on its own.
   */
  batchBytes?: number;
  /** Name recorded as the message's origin mailbox. Default `import`. */
  mailbox?: string;
  /** RAPPORT_MAIL_FILTERS, applied before the shipped rules. */
  filters?: LogEmailOptions['filters'];
  /** RAPPORT_MAIL_FILTERS_DEFAULTS. Default true. */
  defaultFilters?: boolean;
  /** IMAP_CREATE_COMPANIES. Default `answered`. */
  createCompanies?: LogEmailOptions['createCompanies'];
}

/**
 * Runs the IMAP pipeline (parse, skip rules, threading, customer matching) over mbox or .eml files,
 * in batches of `batchSize` messages per transaction. A message that cannot be parsed or written is
 * counted under `failures` and the rest go on.
 */
export async function importEmailFiles(opts: ImportEmailFilesOptions): Promise<ImportCounts> {
  const counts: ImportCounts = { logged: 0, duplicates: 0, failures: 0, skipped: {} };
  const tally = (outcome: LogEmailOutcome) => {
    if (outcome.status === 'logged') counts.logged++;
    else if (outcome.status === 'duplicate') counts.duplicates++;
    else counts.skipped[outcome.reason] = (counts.skipped[outcome.reason] ?? 0) + 1;
  };
  const logOptions = {
    internalDomains: opts.internalDomains,
    skipLists: opts.skipLists,
    hooks: opts.hooks ?? noopPipelineHooks,
    customers: new EmailCustomerCache(),
    filters: opts.filters,
    defaultFilters: opts.defaultFilters,
    createCompanies: opts.createCompanies,
  };
  let batch: InboundEmail[] = [];
  let batchBytes = 0;
  const flush = async () => {
    let rest = batch;
    batch = [];
    batchBytes = 0;
    while (rest.length > 0) {
      let result: LogEmailsResult;
      try {
        result = await logEmails(opts.db, rest, logOptions);
      } catch (error) {
        result = { outcomes: [], failure: { index: 0, error } };
      }
      result.outcomes.forEach(tally);
      if (!result.failure) break;
      counts.failures++;
      rest = rest.slice(result.failure.index + 1);
    }
  };
  const one = async (source: Buffer, file: string) => {
    const size = heldBytes(source.length, opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    if (batch.length > 0 && batchBytes + size > (opts.batchBytes ?? DEFAULT_BATCH_BYTES)) await flush();
    try {
      batch.push(
        await parseEmailSource(
          source,
          { mailbox: opts.mailbox ?? 'import', file },
          { maxMessageBytes: opts.maxMessageBytes },
        ),
      );
      batchBytes += size;
    } catch {
      counts.failures++;
    }
    if (batch.length >= (opts.batchSize ?? DEFAULT_BATCH_MESSAGES)) await flush();
  };
  if (opts.mbox) {
    for await (const msg of readMbox(opts.mbox)) await one(msg, opts.mbox);
  }
  if (opts.emlDir) {
    const names = (await readdir(opts.emlDir)).filter((n) => /\.eml$/i.test(n)).sort();
    for (const n of names) {
      const path = join(opts.emlDir, n);
      if ((await stat(path)).isFile()) await one(await readFile(path), path);
    }
  }
  await flush();
  return counts;
}

/** `rapport import --mbox FILE | --eml DIR`: logs emails from files as the IMAP sync would; prints counts. */
export const importCommand: CliCommand = async (argv, config) => {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const mbox = arg('--mbox');
  const emlDir = arg('--eml');
  if (!mbox && !emlDir)
    throw new RapportError(
      'invalid_input',
      'Say what to import: rapport import --mbox FILE or rapport import --eml DIR (a folder of .eml files).',
    );
  for (const p of [mbox, emlDir])
    if (p)
      await stat(p).catch(() => {
        throw new RapportError('not_found', `${p} does not exist.`);
      });
  const c = config();
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    const started = Date.now();
    const counts = await importEmailFiles({
      db,
      mbox,
      emlDir,
      internalDomains: c.internalDomains,
      skipLists: c.imap[0]?.skipLists ?? true,
      maxMessageBytes: c.imap[0]?.maxMessageBytes,
      filters: c.mailFilters,
      defaultFilters: c.mailFilterDefaults,
      createCompanies: c.imap[0]?.createCompanies,
    });
    const skipped =
      Object.entries(counts.skipped)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || 'none';
    console.log(
      `Imported in ${((Date.now() - started) / 1000).toFixed(1)} s: logged ${counts.logged}, duplicates ${counts.duplicates}, failures ${counts.failures}, skipped: ${skipped}.`,
    );
    return counts.failures > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
};
