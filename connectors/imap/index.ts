import { createMailCommandRouter } from './mail-command.router.ts';
import { SecretBox } from '../../src/db/secret-box.ts';
import { Counter } from 'prom-client';
import type { Component, ComponentFactory } from '../../src/runtime/runtime.ts';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { noopPipelineHooks, type PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { mailboxReadiness } from './mailbox-readiness.ts';
import { MailboxSync } from './mailbox-sync.ts';

export { MailboxSync } from './mailbox-sync.ts';
export { imapDoctorCheck } from './imap.doctor.ts';
export { mailQuarantineDoctorCheck } from './quarantine.doctor.ts';
export { importCommand } from './import.command.ts';

/**
 * Runs one MailboxSync per configured mailbox in roles `all` and `worker` (never `web`): whichever
 * process holds a mailbox's Redis lock syncs it, the others stand by and take over within the lock
 * TTL. Returns undefined when no mailbox is configured.
 */
export const imapComponentFactory: ComponentFactory = async (runtime) => {
  const { config } = runtime;
  // The embedded database serves this process alone: `rapport mail` runs here while it holds it.
  if (!config.databaseUrl && config.role !== 'worker')
    runtime.app.use(
      createMailCommandRouter({
        db: runtime.db,
        config,
        hooks: () => runtime.hooks ?? noopPipelineHooks,
        logger: runtime.logger.child({ module: 'mail-command' }),
      }),
    );
  if (config.imap.length === 0 || config.role === 'web') return undefined;
  const hooks: PipelineHooks = runtime.hooks ?? noopPipelineHooks;
  const logged = new Counter({
    name: 'rapport_email_messages_total',
    help: 'Emails seen by the IMAP sync, by mailbox and outcome (logged, duplicate, skipped, failed)',
    labelNames: ['mailbox', 'outcome'],
    registers: [runtime.metrics],
  });
  const skipped = new Counter({
    name: 'rapport_email_skipped_total',
    help: 'Emails not logged, by mailbox and reason (auto-reply, bounce, mailing-list, spam, tombstoned, internal-only, ...)',
    labelNames: ['mailbox', 'reason'],
    registers: [runtime.metrics],
  });
  // Its own connection: the lock must not queue behind slow commands on the shared one.
  const redis = connectRedis(runtime.redisUrl);
  const syncs = config.imap.map(
    (mailbox) =>
      new MailboxSync(mailbox, {
        db: runtime.db,
        redis,
        hooks,
        logger: runtime.logger,
        internalDomains: config.internalDomains,
        filters: config.mailFilters,
        defaultFilters: config.mailFilterDefaults,
        lockPrefix: config.queuePrefix,
        lockTtlMs: config.imapLockMs,
        secrets: new SecretBox(config.secretKeys),
        onOutcome: (mb, o) => {
          logged.inc({ mailbox: mb, outcome: o.status });
          if (o.status === 'skipped') skipped.inc({ mailbox: mb, reason: o.reason });
        },
      }),
  );
  for (const s of syncs) s.start();
  const component: Component & { syncs: MailboxSync[] } = {
    name: 'imap',
    syncs,
    readiness: syncs.map(mailboxReadiness),
    async stop() {
      await Promise.all(syncs.map((s) => s.stop()));
      redis.disconnect();
    },
  };
  return component;
};
