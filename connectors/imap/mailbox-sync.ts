import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../../src/db/secret-box.ts';
import {
  claimMailboxInFlight,
  markMailboxInFlightHandling,
  releaseMailboxInFlight,
} from '../../src/db/mailbox-in-flight.repository.ts';
import { findMailboxCursor, saveMailboxCursor, saveMailboxError } from '../../src/db/mailbox-cursor.repository.ts';
import {
  assertMailboxFence,
  findMailboxFence,
  MailboxFenceBusyError,
  MailboxFencedOutError,
  raiseMailboxFenceWithin,
} from '../../src/db/mailbox-fence.repository.ts';
import { ImapFlow, type FetchMessageObject, type MailboxObject } from 'imapflow';
import type { Redis } from 'ioredis';
import type { MailboxConfig } from '../../src/config/env.ts';
import type { Database, SqlRunner } from '../../src/db/database.ts';
import type { CompiledEmailFilterRule } from '../../src/domain/email-filter-rules.ts';
import { isFreeMailDomain } from '../../src/domain/email-participants.ts';
import { emailDomain } from '../../src/domain/normalize-company-name.ts';
import type { Logger } from '../../src/logger.ts';
import type { InboundEmail } from '../../src/domain/email-message.ts';
import {
  EmailCustomerCache,
  logEmails,
  type LogEmailOutcome,
  type LogEmailsResult,
} from '../../src/services/log-email.service.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { MailboxLock, type LockHolder } from './mailbox-lock.ts';
import { newMailboxSyncStatus, type MailboxSyncStatus } from './mailbox-sync-status.ts';
import {
  quarantineMail,
  resolveUnsourcedQuarantine,
  unsourcedQuarantinedUids,
} from '../../src/db/mail-quarantine.repository.ts';
import { MailStrikes } from './mail-strikes.ts';
import { isDatabaseUnavailableError } from '../../src/db/sql-errors.ts';
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_MESSAGES, type FetchBatchLimits, fetchBatches } from './fetch-batches.ts';
import { DEFAULT_LIST_PAGE_MESSAGES, type ListFrom, listPage, listUids, uidSets } from './list-folder.ts';
import { fetchBodies } from './fetch-bodies.ts';
import { fetchedBody } from './fetch-rows.ts';
import { headerBlock, parseEmailSource } from './parse-email-source.ts';
import { resolveFolder } from './resolve-folder.ts';
import { mailboxRefreshTokenStore } from '../../src/db/mailbox-refresh-token.repository.ts';
import { imapAuth, OAuthTokenSource } from './oauth-token-source.ts';
import { parseImapError } from './parse-imap-error.ts';

export interface MailboxSyncDeps {
  db: Database;
  /** Connection for the mailbox lock. */
  redis: Redis;
  hooks: PipelineHooks;
  logger: Logger;
  /** RAPPORT_INTERNAL_DOMAINS; the mailbox's own domain is added unless it is a free-mail domain. */
  internalDomains: readonly string[];
  /** Lock key prefix. Default `{rapport}`. */
  lockPrefix?: string;
  /** Seals the rotated OAuth2 refresh token it stores (RAPPORT_SECRET_KEY; a box without a key stores it as it is). */
  secrets: SecretBox;
  /** Lock TTL, ms: bound on how long a dead syncer blocks a takeover. Default 30000. */
  lockTtlMs?: number;
  /**
   * Most messages fetched and logged per batch (one transaction; the cursor advances after each).
   * Default {@link DEFAULT_BATCH_MESSAGES}.
   */
  batchSize?: number;
  /**
   * Most bytes of message source per batch (a larger message is a batch of its own). Default
   * {@link DEFAULT_BATCH_BYTES}: a batch is held in memory with the two fetched ahead of it, so this
   * caps the sync's memory.
   */
  batchBytes?: number;
  /** Most messages whose size and date a pass reads (and holds) at once. Default {@link DEFAULT_LIST_PAGE_MESSAGES}. */
  listPageSize?: number;
  /** Backoff bounds for reconnects, ms. Default 1000 and 60000. */
  backoffMs?: { min: number; max: number };
  /**
   * How long, ms, a mail still in the folder that the server sends nothing or no body for is waited for
   * from its first strike (and at least three passes) before it is kept in quarantine without its source
   * and passed: a mail still being delivered is not passed over in seconds of reconnects. Default
   * {@link UNANSWERED_PATIENCE_MS} (60000).
   */
  unansweredPatienceMs?: number;
  /** RAPPORT_MAIL_FILTERS, applied before the shipped rules. Default none. */
  filters?: readonly CompiledEmailFilterRule[];
  /** RAPPORT_MAIL_FILTERS_DEFAULTS: apply the shipped spam and bulk rules. Default true. */
  defaultFilters?: boolean;
  /** Called with every outcome (metrics). */
  onOutcome?: (mailbox: string, outcome: LogEmailOutcome | { status: 'failed' }) => void;
  /** Where the syncer keeps its mails' strikes. Default a new one of its own (a test passes one to read it). */
  strikes?: MailStrikes;
}

/** A fetched message and its parse (or the parse error). */
interface ParsedMessage {
  m: FetchMessageObject;
  email?: InboundEmail;
  error?: unknown;
}
/** A batch fetched and parsed ahead of its write, by UID. */
type PreparedBatch = Map<number, ParsedMessage>;

/** What the pages of one folder pass share. */
interface SyncPass {
  key: { mailbox: string; folder: string };
  /**
   * UIDs of the folder's mails kept in quarantine without their source and not resolved (read once a pass):
   * one the pass logs after all has its row resolved.
   */
  unsourced: Set<number>;
  box: MailboxObject;
  limits: FetchBatchLimits;
  customers: EmailCustomerCache;
  saveAt: (sql: SqlRunner, uid: number) => Promise<void>;
  /** Saves the cursor at the last mail handled (outside a batch's transaction). */
  save: () => Promise<void>;
  /** The cursor may move to `uid`: everything up to it is logged, skipped or kept. */
  advance: (uid: number) => void;
}

/**
 * Batches fetched and parsed ahead of the one being written. Two: while a batch's transaction waits
 * on the database, the next is usually parsed already and this thread would idle; the one after
 * it fills that wait.
 */
const PREFETCH_BATCHES = 2;

/**
 * How many holders in a row may stop while handling the mail after a folder's cursor before that mail is
 * quarantined unread: it is taking the process down (a crash, an OOM kill), and every start would try it
 * again. From the first such stop on, the mails after the cursor are handled one at a time, nothing read
 * ahead, so the one that stops the process is the one after the cursor.
 */
const MAX_DEATHS = 3;

/**
 * How long a mail the server lists but sends nothing (or no body) for is waited for before it is passed (kept in
 * quarantine without its source).
 */
const UNANSWERED_PATIENCE_MS = 60_000;

/** The process's queue of mails handled one at a time: one in hand at once, so a stop is that mail's. */
let carefulTurn: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const turn = carefulTurn.then(fn);
  carefulTurn = turn.catch(() => undefined);
  return turn;
}

/**
 * Keeps one mailbox's folders logged: holds the mailbox's Redis lock, syncs every folder from its
 * cursor (UIDVALIDITY + last UID), then waits for new mail with IDLE (or polls every
 * IMAP_POLL_SECONDS where IDLE is missing) and reconnects with exponential backoff and jitter.
 * Messages are fetched with BODY.PEEK and the folder is opened read-only unless IMAP_MARK_SEEN.
 */
export class MailboxSync {
  readonly status: MailboxSyncStatus;
  private readonly lock: MailboxLock;
  private readonly internalDomains: string[];
  private stopping = false;
  private abandoned = false;
  /**
   * Per folder (and '' for the lock loop): a wake that came while that folder's loop was not waiting
   * (new mail during its sync), so its next wait returns at once. One list per folder: with a shared
   * flag, folder B's wait consumed folder A's wake and A waited for the next poll.
   */
  private readonly woken = new Set<string>();
  private loop: Promise<void> | undefined;
  private readonly clients = new Set<ImapFlow>();
  private readonly wakers = new Map<string, Set<() => void>>();
  /** Failures of mails not logged nor kept yet (see passOver, strikeUnanswered), dropped once a cursor passes them. */
  private readonly strikes: MailStrikes;
  /** This syncer's id in the folders' in-flight claims (MailboxInFlight). */
  private readonly runId = randomUUID();
  /** Folders whose in-flight claim this syncer may hold (released when a pass ends, or when it stops). */
  private readonly claims = new Set<string>();
  /** Folders whose careful window (after a dead run's claim) has not been handled to its end yet. */
  private readonly carefulFolders = new Set<string>();
  private readonly log: Logger;
  /** OAuth2 access tokens (IMAP_OAUTH_*), renewed before they run out; undefined for a password or a fixed token. */
  private readonly tokens: OAuthTokenSource | undefined;

  constructor(
    readonly config: MailboxConfig,
    private readonly deps: MailboxSyncDeps,
  ) {
    this.status = newMailboxSyncStatus(config.address);
    this.strikes = deps.strikes ?? new MailStrikes();
    this.log = deps.logger.child({ module: 'imap', mailbox: config.address });
    this.lock = new MailboxLock(deps.redis, config.address, {
      prefix: deps.lockPrefix,
      ttlMs: deps.lockTtlMs,
      onLost: () => this.onLockLost(),
    });
    this.tokens = config.oauth
      ? new OAuthTokenSource(config.oauth, config.address, {
          store: mailboxRefreshTokenStore(deps.db, config.address, config.oauth, { secrets: deps.secrets }),
          onStoreError: (err) =>
            this.log.warn(
              { err },
              'cannot keep the rotated OAuth2 refresh token in the database; it is held in memory and written again before the next token request',
            ),
        })
      : undefined;
    const own = emailDomain(config.address);
    this.internalDomains = [...new Set([...deps.internalDomains, ...(isFreeMailDomain(own) ? [] : [own])])];
  }

  /** Starts syncing in the background (returns at once). */
  start(): void {
    this.loop ??= this.run().catch((err) => this.log.error({ err }, 'mailbox sync loop failed'));
  }

  /** Finishes the batch in progress, closes the connections and releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeAll();
    await this.loop;
    this.status.state = 'stopped';
  }

  /** Who holds the mailbox's lock, asked of Redis now (for /readyz: a standby's holder may have died). */
  lockHolder(): Promise<LockHolder> {
    return this.lock.holder();
  }

  /** How long the mailbox lock lasts without renewal, ms. */
  get lockTtlMs(): number {
    return this.lock.ttlMs;
  }

  /** How often a standby tries to take the lock, ms. */
  get standbyRetryMs(): number {
    return Math.max(100, Math.floor(this.lock.ttlMs / 3));
  }

  /** Like a crash: stops without releasing the lock (tests of takeover). */
  async abandon(): Promise<void> {
    this.lock.abandon();
    this.abandoned = true;
    this.stopping = true;
    for (const c of this.clients) c.close();
    this.wakeAll();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let acquired = false;
      try {
        acquired = await this.lock.tryAcquire();
      } catch (err) {
        this.fail(err, 'Redis is unreachable, so the mailbox lock cannot be taken; check REDIS_URL.');
      }
      // The token goes to PostgreSQL before anything of the mailbox is read: from here on the writes of a
      // former holder (frozen past the lock's TTL, still thinking it holds it) are refused.
      if (acquired && !(await this.storeFence())) acquired = false;
      this.status.holdsLock = acquired;
      if (!acquired) {
        if (this.status.state !== 'retrying') this.status.state = 'standby';
        await this.wait(this.standbyRetryMs);
        continue;
      }
      this.log.info('holding the mailbox lock; syncing');
      await Promise.all(this.config.folders.map((f) => this.runFolder(f)));
      // Every folder loop returned (all of them spam folders, or stopping): do not spin on the lock.
      if (!this.stopping && this.lock.held) await this.wait(this.config.pollSeconds * 1000);
    }
    // Stopped (not abandon(), which stands for a crash): nobody is handling these folders' mail now.
    if (!this.abandoned) for (const folder of [...this.claims]) await this.releaseClaim(folder);
    if (!this.abandoned) await this.lock.release();
    this.status.holdsLock = false;
  }

  private onLockLost(): void {
    this.log.warn('lost the mailbox lock (another process took over or Redis was unreachable); stopping this syncer');
    this.stopHolding();
  }

  private stopHolding(): void {
    this.status.holdsLock = false;
    for (const c of this.clients) c.close();
    this.wakeAll();
  }

  /** The fencing token of this syncer's lock; every write of the sync carries it (see raiseMailboxFence). */
  private get fence(): bigint {
    if (this.lock.fence === undefined) throw new Error('the mailbox lock was never taken');
    return this.lock.fence;
  }

  /**
   * Stores the new lock's fencing token as the mailbox's newest. False (the lock released again) when the
   * database refuses it (a newer holder stored its own: this acquisition is already stale), is away, or a
   * transaction of the former holder still holds the fence row after twice the lock's TTL (see
   * raiseMailboxFenceWithin: a frozen holder's session is ended by the database after one TTL idle, so only
   * a transaction without that timeout, an older Rapport's or a session left open, holds it that long).
   */
  private async storeFence(): Promise<boolean> {
    try {
      const ttl = this.lock.ttlMs;
      await raiseMailboxFenceWithin(this.deps.db, this.config.address, this.fence, { waitMs: 2 * ttl, idleMs: ttl });
      return true;
    } catch (err) {
      if (err instanceof MailboxFenceBusyError) {
        const message = `A transaction of the mailbox's former holder has held its fence row in the database for more than ${err.waitedMs} ms (a frozen process whose session the database does not end: an older Rapport, or a session left open; see pg_stat_activity, state "idle in transaction"); not syncing until it ends, trying again.`;
        this.fail(err, message);
        this.log.error({ waitedMs: err.waitedMs }, message);
      } else if (err instanceof MailboxFencedOutError) {
        this.log.error(
          { fence: String(err.fence) },
          "the database has seen a newer fencing token for this mailbox than this lock's (another process took it over since, or Redis lost the last token it issued); standing by",
        );
        // Should Redis have lost its count (FLUSHALL, a new Redis whose clock is behind), the next token
        // starts above the database's; raised only, so a real newer holder loses nothing.
        const stored = await findMailboxFence(this.deps.db.sql, this.config.address).catch(() => null);
        if (stored !== null) await this.lock.raiseFence(stored).catch(() => undefined);
      } else
        this.fail(err, 'The database is unreachable, so the mailbox lock cannot be fenced; syncing when it is back.');
      await this.lock.release();
      return false;
    }
  }

  /**
   * PostgreSQL refused a write of this syncer: its lock's fencing token is older than the mailbox's newest,
   * so another process took the mailbox over (this one was frozen past the lock's TTL, or cut off from
   * Redis) and its renewal has not noticed yet. Nothing of that write was done; the syncer stops as on a
   * lost lock, and releases the lock should Redis still name it (then it is this acquisition's, now stale).
   */
  private fencedOut(err: MailboxFencedOutError, folder: string): void {
    // Said even when the renewal noticed the loss first: that it did not stop this write is the news.
    this.log.error(
      { folder, fence: String(err.fence) },
      "another process took the mailbox over (this one was frozen or cut off from Redis past the lock's TTL): the database refused this write, which carried an older fencing token, and nothing of it was written; stopping this syncer",
    );
    if (!this.lock.held) return;
    void this.lock.release();
    this.stopHolding();
  }

  /** Syncs and watches one IMAP_FOLDERS entry (a folder, or `\Sent`: the server's Sent folder). */
  private async runFolder(entry: string): Promise<void> {
    let attempt = 0;
    let folder = entry;
    while (!this.stopping && this.lock.held) {
      let client: ImapFlow | undefined;
      let token: string | undefined;
      try {
        token = await this.tokens?.accessToken();
        client = this.newClient(token);
        this.clients.add(client);
        client.on('error', (err) => this.log.debug({ err }, 'imap connection error'));
        await client.connect();
        const resolved = await resolveFolder(client, entry);
        if ('skip' in resolved) {
          this.log.warn({ folder: entry }, `not syncing folder ${entry}: ${resolved.skip}`);
          this.status.skippedFolders[entry] = resolved.skip;
          return;
        }
        if (entry !== resolved.path) this.status.resolvedFolders[entry] = resolved.path;
        // `\Sent` naming a folder IMAP_FOLDERS also lists: that entry's loop syncs it.
        if (entry !== resolved.path && this.config.folders.includes(resolved.path)) return;
        folder = resolved.path;
        await client.mailboxOpen(folder, { readOnly: !this.config.markSeen });
        client.on('exists', () => this.wake(folder));
        client.on('close', () => this.wake(folder));
        this.status.mode = client.capabilities.has('IDLE') ? 'idle' : 'poll';
        while (!this.stopping && this.lock.held && client.usable) {
          this.status.state = 'syncing';
          await this.syncFolder(client, folder);
          attempt = 0;
          this.status.state = 'watching';
          this.status.lastError = this.status.lastErrorCode = undefined;
          // A fetch breaks IDLE by itself; the periodic wake refreshes IDLE and doubles as a safety poll.
          if (this.status.mode === 'idle') void client.idle().catch(() => undefined);
          await this.wait(this.config.pollSeconds * 1000, folder);
        }
      } catch (err) {
        // A token the server refused is not offered again: the next connection asks for a new one.
        if (token && (err as { authenticationFailed?: boolean }).authenticationFailed) this.tokens?.refused(token);
        if (err instanceof MailboxFencedOutError) this.fencedOut(err, folder);
        if (this.stopping || !this.lock.held) break;
        const coded = this.fail(err, undefined, folder);
        await this.saveError(folder, coded);
        const { min, max } = this.deps.backoffMs ?? { min: 1000, max: 60_000 };
        const delay = Math.min(max, min * 2 ** attempt) * (0.5 + Math.random() * 0.5);
        attempt++;
        this.status.state = 'retrying';
        this.log.warn({ code: coded.code, delayMs: Math.round(delay) }, coded.message);
        await this.wait(delay, folder);
      } finally {
        const c = client;
        if (c) {
          this.clients.delete(c);
          if (c.usable) await c.logout().catch(() => c.close());
          else c.close();
        }
      }
    }
  }

  /** A connection that logs in with `token` (OAuth2), else the configured access token or password. */
  private newClient(token: string | undefined): ImapFlow {
    const c = this.config;
    return new ImapFlow({
      host: c.host,
      port: c.port,
      secure: c.secure,
      auth: imapAuth(c, token),
      logger: false,
      disableAutoIdle: true,
      clientInfo: { name: 'Rapport' },
      connectionTimeout: 30_000,
    });
  }

  /** Fetches and logs everything after the cursor, batch by batch; the cursor advances after each batch. */
  private async syncFolder(client: ImapFlow, folder: string): Promise<void> {
    const box = client.mailbox;
    if (!box) throw new Error('mailbox not selected');
    // Without IDLE the server reports new mail only in answer to a command: NOOP collects it.
    if (this.status.mode === 'poll') await client.noop();
    const key = { mailbox: this.config.address, folder };
    const cursor = await findMailboxCursor(this.deps.db.sql, key);
    const resync = cursor !== null && cursor.uidValidity !== box.uidValidity;
    if (resync)
      this.log.warn(
        { folder, was: String(cursor.uidValidity), now: String(box.uidValidity) },
        'UIDVALIDITY changed: resyncing the folder; Message-IDs already logged are skipped as duplicates',
      );
    const lastUid = cursor && !resync ? cursor.lastUid : 0;
    const from: ListFrom =
      lastUid > 0
        ? { afterUid: lastUid }
        : this.config.sinceDays > 0
          ? { since: new Date(Date.now() - this.config.sinceDays * 86_400_000) }
          : { all: true };
    // The UIDs alone first; sizes and dates a page at a time (a first sync of a whole folder may list millions).
    const uids = box.exists === 0 ? [] : await listUids(client, from);
    let handled = lastUid;
    // Fenced: a stale token refuses the save, and inside a batch's transaction the batch with it.
    const saveAt = (sql: SqlRunner, uid: number) =>
      saveMailboxCursor(
        sql,
        key,
        { uidValidity: box.uidValidity, lastUid: uid, highestModseq: box.highestModseq ?? null },
        { fence: this.fence },
      );
    const save = () => saveAt(this.deps.db.sql, handled);
    const limits = {
      messages: this.deps.batchSize ?? DEFAULT_BATCH_MESSAGES,
      bytes: this.deps.batchBytes ?? DEFAULT_BATCH_BYTES,
      maxMessageBytes: this.config.maxMessageBytes,
    };
    const pageSize = Math.max(1, this.deps.listPageSize ?? DEFAULT_LIST_PAGE_MESSAGES);
    const customers = new EmailCustomerCache();
    const unsourced =
      uids.length === 0
        ? new Set<number>()
        : await unsourcedQuarantinedUids(this.deps.db.sql, { ...key, uidValidity: box.uidValidity });
    let claimed = false;
    // Mails of the careful window not handled yet: it runs on over pages until this many are handled.
    let carefulLeft = 0;
    for (let at = 0; at < uids.length && !this.stopping && this.lock.held; at += pageSize) {
      const listed = await listPage(client, uids.slice(at, at + pageSize));
      // The lock lost while the page was read: the new holder's claim is not this run's to take over.
      if (this.stopping || !this.lock.held) break;
      // A mail the server lists but sends nothing for: the pass stops before it (tried again from the cursor)
      // until its third time, when it is kept in quarantine without its source and passed.
      const blockedAt = await this.strikeUnanswered(folder, box.uidValidity, listed.unanswered);
      const pending = blockedAt === undefined ? listed.rows : listed.rows.filter((m) => m.uid < blockedAt);
      // A run that stopped while handling the mails after this cursor (see MAX_DEATHS): as many mails as it could
      // have had in hand are handled one at a time; one that stopped three runs in a row alone is kept unread.
      if (pending.length > 0 && !claimed) {
        // Again after the strikes' writes: a run that lost the lock must not take the new holder's claim.
        if (!this.lock.held) break;
        claimed = true;
        this.claims.add(folder);
        // Refused (it throws) when another process took the mailbox over since this run's check of the lock.
        const claim = await claimMailboxInFlight(this.deps.db.sql, key, this.runId, this.fence);
        // Careful until the window is handled to its end: an error in it (this run retries) keeps it so.
        if (claim.diedRun !== null) this.carefulFolders.add(folder);
        const first = pending[0];
        if (
          first &&
          claim.handlingUid === first.uid &&
          claim.uidValidity === box.uidValidity &&
          claim.deaths >= MAX_DEATHS &&
          this.lock.held
        ) {
          pending.shift();
          await this.keepUnread(client, folder, box.uidValidity, first, claim.deaths);
          await saveAt(this.deps.db.sql, first.uid);
          handled = first.uid;
          await markMailboxInFlightHandling(this.deps.db.sql, key, this.runId, null, this.fence);
        }
        if (this.carefulFolders.has(folder)) {
          carefulLeft = (PREFETCH_BATCHES + 1) * limits.messages;
          this.log.warn(
            { folder, handlingUid: claim.handlingUid, deaths: claim.deaths, mails: carefulLeft },
            'the process that held this folder stopped while handling its mail; handling the next mails one at a time',
          );
        }
      }
      const careful = Math.min(pending.length, carefulLeft);
      carefulLeft -= careful;
      await this.syncPage(client, folder, pending, careful, carefulLeft === 0, {
        key,
        unsourced,
        box,
        limits,
        customers,
        saveAt,
        save,
        advance: (uid) => (handled = uid),
      });
      // The page handled to its end (or to the mail it stops before): every UID listed up to there was logged,
      // skipped, kept in quarantine or is gone, so the cursor may pass them even when no batch ended there
      // (a mail kept without its source as the folder's newest would be listed and struck again).
      const through = blockedAt !== undefined ? blockedAt - 1 : (uids[Math.min(at + pageSize, uids.length) - 1] ?? 0);
      if (!this.stopping && this.lock.held && through > handled) {
        await saveAt(this.deps.db.sql, through);
        handled = through;
      }
      if (blockedAt !== undefined)
        throw new Error(
          `the mail server sent nothing for UID ${blockedAt} in ${folder}, which is still there; tried again from the cursor (after 3 times it is kept in quarantine without its source)`,
        );
    }
    // Every mail after the cursor handled (fewer than the window held): the window is handled to its end.
    if (!this.stopping && this.lock.held) this.carefulFolders.delete(folder);
    if (uids.length === 0 || resync || !cursor) await save();
    // The cursor passed them: the strikes of mails logged, kept or deleted since are never needed again.
    this.strikes.passed(folder, box.uidValidity, handled);
    // The pass ended: nobody is handling these mails now. (A pass that failed keeps the claim: this run tries
    // again, careful still if it was; stop() releases it.)
    if (this.claims.has(folder) && !this.carefulFolders.has(folder)) await this.releaseClaim(folder);
    this.status.lastSyncAt = new Date();
  }

  /**
   * Fetches, parses and logs one page of the mails a pass found, in UID order and in batches; the first
   * `careful` of them one at a time (see MAX_DEATHS), the rest with the next batches read ahead while
   * one is written.
   */
  private async syncPage(
    client: ImapFlow,
    folder: string,
    pending: FetchMessageObject[],
    careful: number,
    windowEnds: boolean,
    pass: SyncPass,
  ): Promise<void> {
    const { key, box, limits, save } = pass;
    const batches = [...pending.slice(0, careful).map((m) => [m]), ...fetchBatches(pending.slice(careful), limits)];
    const fetchBatch = (batch: FetchMessageObject[]) => fetchBodies(client, batch, this.config.maxMessageBytes);
    // The next batches are fetched and parsed while this one is written: IMAP, MIME parsing (this
    // thread's CPU) and the database (waits here) overlap. A parse error is kept for logBatch, and so
    // is a UID the server answered without its body: parsed as an empty message it would be skipped
    // ("no sender") and the cursor would move past it.
    const prepare = async (batch: FetchMessageObject[]): Promise<PreparedBatch> => {
      const fetched = await fetchBatch(batch);
      const parsed = new Map<number, ParsedMessage>();
      for (const meta of batch) {
        const m = fetched.get(meta.uid);
        if (!m) continue;
        const body = fetchedBody(m);
        if (!body) {
          const asked = (meta.size ?? 0) > this.config.maxMessageBytes ? 'headers' : 'body';
          parsed.set(meta.uid, { m, error: new Error(`the mail server sent no ${asked} for UID ${meta.uid}`) });
          continue;
        }
        try {
          parsed.set(meta.uid, { m, email: await this.parse(body, m, meta, folder) });
        } catch (error) {
          parsed.set(meta.uid, { m, error });
        }
      }
      return parsed;
    };
    const ahead: Array<Promise<PreparedBatch>> = [];
    // The mails handled one at a time are never read ahead.
    let aheadFrom = careful;
    const prefetch = () => {
      for (; ahead.length < PREFETCH_BATCHES && aheadFrom < batches.length; aheadFrom++) {
        const batch = batches[aheadFrom];
        // One after the other: two parsed side by side would make the first wait for both.
        const before = ahead.at(-1)?.catch(() => undefined);
        const next = before ? before.then(() => prepare(batch)) : prepare(batch);
        // Awaited in order below; one that fails meanwhile must not become an unhandled rejection.
        next.catch(() => undefined);
        ahead.push(next);
      }
    };
    const write = async (batch: FetchMessageObject[], prepared: PreparedBatch) => {
      let saved = false;
      try {
        saved = await this.logBatch(batch, prepared, folder, pass);
      } finally {
        if (!saved) await save();
      }
      if (this.config.markSeen)
        for (const set of uidSets(batch.map((m) => m.uid)))
          if (!(await client.messageFlagsAdd(set, ['\\Seen'], { uid: true })))
            this.log.warn({ folder, uids: set }, 'the mail server refused to mark these mails read (IMAP_MARK_SEEN)');
    };
    try {
      for (let i = 0; i < batches.length && !this.stopping && this.lock.held; i++) {
        const batch = batches[i];
        if (i < careful) {
          // Alone, and alone in this process (other folders and mailboxes wait): a stop now is this mail's.
          const handledAlone = await oneAtATime(async () => {
            if (this.stopping || !this.lock.held) return false;
            await markMailboxInFlightHandling(
              this.deps.db.sql,
              key,
              this.runId,
              { uid: batch[0].uid, uidValidity: box.uidValidity },
              this.fence,
            );
            try {
              await write(batch, await prepare(batch));
            } finally {
              // Failed with the process alive (an error, not a stop of the process): no death of this mail.
              await markMailboxInFlightHandling(this.deps.db.sql, key, this.runId, null, this.fence);
            }
            return true;
          });
          // Not handled (stopping, or the lock lost): the window is not at its end.
          if (i === careful - 1 && windowEnds && handledAlone) this.carefulFolders.delete(folder);
          continue;
        }
        prefetch();
        const prepared = await ahead[0];
        ahead.shift();
        prefetch();
        await write(batch, prepared);
      }
    } finally {
      // Prefetches left over by a stop or an error end before the connection is closed.
      await Promise.allSettled(ahead);
    }
  }

  /**
   * Strikes the mails a listing found in the folder but got no size for (see listPage), in UID order: the
   * first with fewer than three strikes (or struck first less than UNANSWERED_PATIENCE_MS ago) is returned
   * and the pass stops before it, the ones after it not struck; one at its third is kept in quarantine
   * without its source, counted as failed, and passed.
   */
  private async strikeUnanswered(
    folder: string,
    uidValidity: bigint,
    uids: readonly number[],
  ): Promise<number | undefined> {
    for (const uid of uids) {
      const n = this.strikes.strike(folder, uidValidity, uid);
      if (this.stillPatient(n)) return uid;
      await quarantineMail(this.deps.db, {
        fence: this.fence,
        mailbox: this.config.address,
        folder,
        uid,
        uidValidity,
        raw: Buffer.alloc(0),
        headers: {},
        error: `the mail server listed this mail but sent nothing for it ${n.count} times`,
        note: `The mail server listed UID ${uid} in ${folder} but sent nothing for it ${n.count} times; it was passed over without its source. It is still on the mail server: look it up there ("rapport mail retry" cannot log it; the sync resolves this row if it logs the mail after all).`,
      });
      this.strikes.clear(folder, uidValidity, uid);
      this.log.error({ uid, folder }, 'the mail server sent nothing for a listed mail 3 times; kept in quarantine');
      this.countQuarantined();
    }
    return undefined;
  }

  /**
   * Whether a mail the server sent nothing (or no body) for, struck `n`, is still waited for: three passes
   * and UNANSWERED_PATIENCE_MS at least, so that a mail still being delivered is not passed over in the
   * seconds three reconnects take.
   */
  private stillPatient(n: { count: number; firstAt: number }): boolean {
    return n.count < 3 || Date.now() - n.firstAt < (this.deps.unansweredPatienceMs ?? UNANSWERED_PATIENCE_MS);
  }

  /** Ends this run's in-flight claim on a folder; a release that fails is tried again later. */
  private async releaseClaim(folder: string): Promise<void> {
    await releaseMailboxInFlight(
      this.deps.db.sql,
      { mailbox: this.config.address, folder },
      this.runId,
      this.fence,
    ).then(
      () => this.claims.delete(folder),
      (err) => this.log.debug({ err, folder }, 'could not release the in-flight claim; released later'),
    );
  }

  /**
   * Keeps the mail after the cursor in the quarantine table without parsing or writing it: holders
   * stopped `deaths` times in a row while handling it alone (see MAX_DEATHS). Its raw source (headers
   * only over IMAP_MAX_MESSAGE_MB) is fetched, not read; `rapport mail retry` tries it again.
   */
  private async keepUnread(
    client: ImapFlow,
    folder: string,
    uidValidity: bigint,
    meta: FetchMessageObject,
    deaths: number,
  ): Promise<void> {
    const big = (meta.size ?? 0) > this.config.maxMessageBytes;
    const m = (await fetchBodies(client, [meta], this.config.maxMessageBytes)).get(meta.uid);
    if (!m) {
      // Gone from the server since it was listed (someone removed it to unblock the sync): nothing to keep.
      this.log.warn({ uid: meta.uid, folder, deaths }, 'the mail that stopped the process is gone from the server');
      return;
    }
    // Still there without its source (the server cannot send it): kept in quarantine without it, and the sync goes on.
    const raw = fetchedBody(m);
    const error = `the process stopped ${deaths} times in a row while handling this mail (a crash or a kill)`;
    await quarantineMail(this.deps.db, {
      fence: this.fence,
      mailbox: this.config.address,
      folder,
      uid: meta.uid,
      uidValidity,
      raw: raw ?? Buffer.alloc(0),
      serverDate: m.internalDate ? new Date(m.internalDate) : undefined,
      sizeBytes: meta.size,
      headers: {},
      error,
      note: raw
        ? `Rapport stopped ${deaths} times in a row while handling this mail alone, so it was kept ${big ? 'with its headers only' : 'raw'} in quarantine without being read. Find out why (the log before each stop), then run "rapport mail retry".`
        : `Rapport stopped ${deaths} times in a row while handling this mail alone, and the mail server then sent no ${big ? 'headers' : 'body'} for UID ${meta.uid} in ${folder}: it was passed over without its source. It is still on the mail server: look it up there ("rapport mail retry" cannot log it).`,
    });
    this.log.error(
      { uid: meta.uid, folder, deaths },
      'mail kept in quarantine unread: the process stopped while handling it',
    );
    this.countQuarantined();
  }

  /**
   * Logs one fetched and parsed batch in UID order, all of it in one transaction. A message that
   * fails (to parse or to be written) leaves the cursor before it (`advance`) and throws, so the
   * reconnect retries it; on its third failure it is quarantined, counted as failed and passed over
   * (unless the quarantine fails too: see passOver). A UID the server answered without its body is
   * such a failure; UIDs that vanished before the fetch (no row or no body, and no longer in the folder) are passed over. Returns true when the cursor past the batch was saved
   * (`saveAt`) in the transaction that wrote the batch's last emails, as it is when nothing fails. A mail
   * kept in quarantine without its source earlier (`pass.unsourced`) that is logged, a duplicate or skipped
   * now has its row resolved, in the transaction that writes it where there is one.
   */
  private async logBatch(
    batch: FetchMessageObject[],
    prepared: PreparedBatch,
    folder: string,
    pass: SyncPass,
  ): Promise<boolean> {
    const { customers, advance, saveAt, unsourced } = pass;
    const uidValidity = pass.box.uidValidity;
    const quarantineKey = { ...pass.key, uidValidity };
    const lastUid = batch.at(-1)?.uid;
    let saved = false;
    const items = batch.filter((meta) => prepared.has(meta.uid)).map((meta) => ({ meta, ...prepared.get(meta.uid)! }));
    for (let start = 0; start < items.length; ) {
      const emails: InboundEmail[] = [];
      let failure: LogEmailsResult['failure'];
      for (let k = start; k < items.length && !failure; k++) {
        const item = items[k];
        if (item.email) emails.push(item.email);
        else failure = { index: k - start, error: item.error };
      }
      let result: LogEmailsResult;
      // Only a transaction that writes to the batch's end can carry the cursor past it.
      const toEnd = !failure && lastUid !== undefined;
      let savedIn = false;
      // The unresolved no-source rows among these emails (almost always none: then no hook for them).
      const kept = unsourced.size === 0 ? [] : items.slice(start, start + emails.length).map((i) => i.meta.uid);
      const resolvable = (written: number) => kept.slice(0, written).filter((uid) => unsourced.has(uid));
      const resolvedIn = new Set<number>();
      try {
        result = await logEmails(this.deps.db, emails, {
          internalDomains: this.internalDomains,
          skipLists: this.config.skipLists,
          hooks: this.deps.hooks,
          customers,
          filters: this.deps.filters,
          defaultFilters: this.deps.defaultFilters,
          createCompanies: this.config.createCompanies,
          // A process frozen inside the transaction has its session ended by PostgreSQL once it sat idle a
          // TTL, releasing the fence row its cursor save holds: the next holder's raise waits no longer.
          idleTimeoutMs: this.lock.ttlMs,
          // Every write transaction is fenced: by the cursor's save when it carries the cursor past the
          // batch, else by a check of the token (part of a batch before a mail that failed).
          inTransaction: async (sql, written) => {
            const resolving = resolvable(written);
            await resolveUnsourcedQuarantine(sql, quarantineKey, resolving);
            for (const uid of resolving) resolvedIn.add(uid);
            if (toEnd && written === emails.length) {
              await saveAt(sql, lastUid);
              savedIn = true;
            } else await assertMailboxFence(sql, this.config.address, this.fence);
          },
        });
      } catch (error) {
        // Another process took the mailbox over: no fault of these mails (nothing of the batch was written).
        if (error instanceof MailboxFencedOutError) throw error;
        result = { outcomes: [], failure: { index: 0, error } };
      }
      result.outcomes.forEach((o, k) => {
        this.count(o);
        this.strikes.clear(folder, uidValidity, items[start + k].meta.uid);
      });
      // Those no transaction wrote (all of them skipped by the header rules): resolved on their own.
      const unresolved = resolvable(result.outcomes.length).filter((uid) => !resolvedIn.has(uid));
      await resolveUnsourcedQuarantine(this.deps.db.sql, quarantineKey, unresolved).catch((err) =>
        this.log.warn(
          { err, folder, uids: unresolved },
          'could not mark resolved the quarantine rows of mails logged after all',
        ),
      );
      for (const uid of resolvable(result.outcomes.length)) unsourced.delete(uid);
      failure = result.failure ?? failure;
      // Without a failure the last transaction logEmails ran committed every email, and with them the cursor.
      saved = !failure && savedIn;
      if (!failure) break;
      const failed = items[start + failure.index];
      const uid = failed.meta.uid;
      advance(uid - 1);
      await this.passOver(folder, uidValidity, failed.m, failed.meta.size, failure.error);
      advance(uid);
      start += failure.index + 1;
    }
    if (lastUid !== undefined) advance(lastUid);
    return saved;
  }

  private parse(body: Buffer, m: FetchMessageObject, meta: FetchMessageObject, folder: string): Promise<InboundEmail> {
    return parseEmailSource(
      body,
      { mailbox: this.config.address, folder, uid: m.uid },
      {
        maxMessageBytes: this.config.maxMessageBytes,
        fallbackDate: m.internalDate ? new Date(m.internalDate) : undefined,
        sizeBytes: meta.size,
      },
    );
  }

  /**
   * Throws `err` for the first two failures of a message (the reconnect retries it; the database being
   * away is not a failure of the message and never counts), and for one the server sent no body for until
   * UNANSWERED_PATIENCE_MS too have passed since its first (it may still be being delivered); on the third,
   * keeps the raw message in the quarantine table with its headers and a note (`rapport mail retry`
   * logs it again), counts it as failed and returns so the sync moves on. When the quarantine write
   * fails too (the database flapping), it throws: passed over, the message would be neither stored
   * nor kept, and the cursor would move past it. The folder loop retries from the cursor (before the
   * message), trying the quarantine again at its next failure.
   */
  private async passOver(
    folder: string,
    uidValidity: bigint,
    m: FetchMessageObject,
    size: number | undefined,
    err: unknown,
  ): Promise<void> {
    // The database away (a failover, a restart, a dropped connection) is no fault of this message: it is
    // tried again from the cursor without a strike, so an outage of any length never quarantines it.
    if (isDatabaseUnavailableError(err)) throw err;
    const n = this.strikes.strike(folder, uidValidity, m.uid);
    const raw = fetchedBody(m) ?? Buffer.alloc(0);
    // No body from the server (the mail may still be being delivered): waited for as a mail listed without an
    // answer is. A mail with its source that fails to parse or to be written is kept at its third failure.
    if (raw.length === 0 ? this.stillPatient(n) : n.count < 3) throw err;
    const headers: Record<string, string> = await parseEmailSource(headerBlock(raw), {
      mailbox: this.config.address,
      folder,
      uid: m.uid,
    })
      .then((e) => e.headers)
      .catch(() => ({}) as Record<string, string>);
    const error = err instanceof Error ? err.message : String(err);
    const kept =
      raw.length > 0 && size !== undefined && size > raw.length ? 'its headers only (over IMAP_MAX_MESSAGE_MB)' : 'raw';
    const note =
      raw.length > 0
        ? `Could not be stored after 3 tries (${error.slice(0, 300)}). Kept ${kept} in quarantine; fix the cause and run "rapport mail retry".`
        : `The mail server sent no body for UID ${m.uid} in ${folder} ${n.count} times (${error.slice(0, 300)}); it was passed over without its source. It is still on the mail server: look it up there ("rapport mail retry" cannot log it; the sync resolves this row if it logs the mail after all).`;
    const quarantined = await quarantineMail(this.deps.db, {
      fence: this.fence,
      mailbox: this.config.address,
      folder,
      uid: m.uid,
      uidValidity,
      raw,
      serverDate: m.internalDate ? new Date(m.internalDate) : undefined,
      sizeBytes: size,
      headers,
      error,
      note,
    })
      .then(() => true)
      .catch((qErr) => {
        // Another process took the mailbox over: this syncer stops, its failure is not this mail's.
        if (qErr instanceof MailboxFencedOutError) throw qErr;
        this.log.error({ err: qErr }, 'could not quarantine the message either');
        return false;
      });
    const about = {
      err,
      uid: m.uid,
      folder,
      messageId: headers['message-id']?.slice(0, 200),
      subject: headers.subject?.slice(0, 200),
    };
    if (!quarantined) {
      // The next failure tries the quarantine again at once.
      n.count = 2;
      this.log.error(
        about,
        'message failed 3 times and could not be quarantined either; not passing over it: the sync stops before it and tries it again from the cursor',
      );
      throw new Error(
        `UID ${m.uid} in ${folder} could not be stored nor quarantined (${error.slice(0, 300)}); it is tried again from the cursor`,
        { cause: err },
      );
    }
    this.strikes.clear(folder, uidValidity, m.uid);
    this.log.error(about, 'message failed 3 times; kept in quarantine (rapport mail retry)');
    this.countQuarantined();
  }

  /** A mail kept in quarantine is a failed one in the status and the metrics. */
  private countQuarantined(): void {
    this.status.counts.failed++;
    this.status.counts.quarantined++;
    this.deps.onOutcome?.(this.config.address, { status: 'failed' });
  }

  private count(outcome: LogEmailOutcome): void {
    const c = this.status.counts;
    if (outcome.status === 'logged') c.logged++;
    else if (outcome.status === 'duplicate') c.duplicates++;
    else c.skipped[outcome.reason] = (c.skipped[outcome.reason] ?? 0) + 1;
    this.deps.onOutcome?.(this.config.address, outcome);
  }

  private fail(err: unknown, message?: string, folder?: string) {
    const coded = parseImapError(err, this.config, folder);
    this.status.lastError = message ?? coded.message;
    this.status.lastErrorCode = coded.code;
    return coded;
  }

  private async saveError(folder: string, err: Error): Promise<void> {
    // Not onto a newer holder's row: a syncer fenced out has nothing to say about the folder (the fence is
    // checked in the write's statement). Never throws, not even before a lock was taken (this.fence).
    await Promise.resolve()
      .then(() =>
        saveMailboxError(this.deps.db.sql, { mailbox: this.config.address, folder }, err.message, {
          fence: this.fence,
        }),
      )
      .catch(() => undefined);
  }

  private wait(ms: number, folder = ''): Promise<void> {
    if (this.stopping || this.woken.has(folder)) {
      this.woken.delete(folder);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const list = this.wakers.get(folder) ?? new Set<() => void>();
      this.wakers.set(folder, list);
      const done = () => {
        clearTimeout(timer);
        list.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      list.add(done);
    });
  }

  /** Wakes one folder's loop, or remembers the wake for its next wait. */
  private wake(folder: string): void {
    const list = this.wakers.get(folder);
    if (!list || list.size === 0) this.woken.add(folder);
    else for (const w of [...list]) w();
  }

  /** Stop, lock lost: every loop wakes. */
  private wakeAll(): void {
    for (const folder of new Set(['', ...this.config.folders, ...this.wakers.keys()])) this.wake(folder);
  }
}
