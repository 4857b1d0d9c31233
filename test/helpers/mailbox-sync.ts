import { randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { MailboxSync, type MailboxSyncDeps } from '../../connectors/imap/mailbox-sync.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import type { Config, MailboxConfig } from '../../src/config/env.ts';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { dovecotMailbox, startDovecot, type DovecotServer } from './dovecot.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';
import { waitFor } from './email-fixtures.ts';
import { SecretBox } from '../../src/db/secret-box.ts';

/**
 * Delivers `messages` to a new Dovecot user's INBOX, runs one real MailboxSync over it into `db`
 * until its first full pass is done, and stops it. `hooks` is where logged mail goes next (the
 * pipeline's, to classify it; none by default); the mailbox's own domain is `support.example`.
 */
export async function syncMailboxOnce(
  dovecot: DovecotServer,
  redis: Redis,
  db: Database,
  messages: Array<string | Buffer>,
  opts: { hooks?: PipelineHooks; maxMessageBytes?: number } = {},
): Promise<MailboxSync> {
  const account = await dovecot.addUser();
  const client = await dovecot.client(account);
  for (const m of messages) await client.append('INBOX', m);
  await client.logout();
  const sync = new MailboxSync(
    dovecotMailbox(dovecot, account, {
      createCompanies: 'all',
      ...(opts.maxMessageBytes ? { maxMessageBytes: opts.maxMessageBytes } : {}),
    }),
    testSyncDeps(db, redis, { hooks: opts.hooks ?? noopPipelineHooks, lockTtlMs: undefined }),
  );
  sync.start();
  await waitFor(async () => sync.status.state === 'watching' && sync.status.lastSyncAt, 60_000, 'sync');
  await sync.stop();
  return sync;
}

/**
 * A MailboxSync's dependencies as the IMAP tests give them: no pipeline, a silent logger, the mailbox's
 * own domain `support.example`, a lock prefix of its own and a lock of 1.5 s (a takeover test's wait);
 * `overrides` changes any of it.
 */
export function testSyncDeps(db: Database, redis: Redis, overrides: Partial<MailboxSyncDeps> = {}): MailboxSyncDeps {
  return {
    db,
    redis,
    hooks: noopPipelineHooks,
    logger: createLogger('silent'),
    internalDomains: ['support.example'],
    lockPrefix: `{rapport-test-${randomBytes(4).toString('hex')}}`,
    lockTtlMs: 1500,
    ...overrides,
    secrets: overrides.secrets ?? new SecretBox(),
  };
}

/**
 * A Dovecot and a Redis for a test file's syncs (started before its tests, stopped after), and `setup`,
 * a new Dovecot account synced into a new database of `kind` (not started), with an IMAP client of that
 * account to deliver mail, reconnecting within 50-200 ms.
 */
export function dovecotSyncFixture(): {
  setup(kind: 'pglite' | 'postgres', mailbox?: Partial<MailboxConfig>): Promise<DovecotSyncCase>;
} {
  const servers = dovecotAndRedis();
  return {
    async setup(kind, overrides = {}) {
      const account = await servers.dovecot.addUser();
      const tdb = await createTestDatabase(kind);
      const mailbox = dovecotMailbox(servers.dovecot, account, { sinceDays: 0, createCompanies: 'all', ...overrides });
      const sync = new MailboxSync(mailbox, testSyncDeps(tdb.db, servers.redis, { backoffMs: { min: 50, max: 200 } }));
      const client = await servers.dovecot.client(account);
      return {
        account,
        mailbox,
        tdb,
        db: tdb.db,
        sync,
        client,
        dovecot: servers.dovecot,
        retryConfig: {
          imap: [mailbox],
          internalDomains: ['support.example'],
          mailFilters: [],
          mailFilterDefaults: true,
        },
        async close() {
          await sync.stop();
          await client.logout().catch(() => undefined);
          await tdb.dispose();
        },
      };
    },
  };
}

/** One case of {@link dovecotSyncFixture}. */
export interface DovecotSyncCase {
  account: { user: string; password: string };
  mailbox: MailboxConfig;
  tdb: TestDatabase;
  db: Database;
  sync: MailboxSync;
  client: ImapFlow;
  dovecot: DovecotServer;
  /** What `rapport mail retry` is given for this mailbox (its own domain internal, shipped filters on). */
  retryConfig: Pick<Config, 'imap' | 'internalDomains' | 'mailFilters' | 'mailFilterDefaults'>;
  /** Stops the sync, logs the client out and drops the database. */
  close(): Promise<void>;
}

/** A Dovecot and a Redis for a test file (started before its tests, stopped after): read them inside the tests. */
export function dovecotAndRedis(): { readonly dovecot: DovecotServer; readonly redis: Redis } {
  const servers = {} as { dovecot: DovecotServer; redis: Redis };
  beforeAll(async () => {
    servers.dovecot = await startDovecot();
    servers.redis = connectRedis('redis://127.0.0.1:6379');
  });
  afterAll(async () => {
    servers.redis?.disconnect();
    await servers.dovecot?.stop();
  });
  return servers;
}
