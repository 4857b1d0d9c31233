import { afterEach, describe, expect, it } from 'vitest';
import { jobId } from '../../../jobs/job-ids.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { parseEmailSource } from '../../../connectors/imap/parse-email-source.ts';
import { logEmails } from '../../../src/services/log-email.service.ts';
import { createLogger } from '../../../src/logger.ts';
import { resilientPipelineHooks } from '../../../src/services/resilient-pipeline-hooks.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import { startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';

/**
 * A synced batch queues its classifications as one BullMQ job (recordsLogged, a `classify-batch`
 * job naming every logged email once), a duplicate or skipped email in none, and the same commit
 * told twice is still one job.
 */
describe('a logged batch of emails queues one classify job for its logged messages (real BullMQ)', () => {
  let h: PipelineHarness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  it('queues one job naming each logged email, none for duplicates or skipped mail, none twice', async () => {
    h = await startPipelineHarness('postgres', { workers: false });
    const hooks = resilientPipelineHooks(h.hooks, createLogger('silent'));
    const raws = [
      buildEmail({ from: 'jo@initech.com', messageId: 'a1@initech.com', subject: 'TPS' }),
      buildEmail({
        from: 'jo@initech.com',
        messageId: 'a2@initech.com',
        inReplyTo: 'a1@initech.com',
        subject: 'Re: TPS',
      }),
      buildEmail({
        from: 'help@support.example',
        to: 'x@support.example',
        messageId: 'int@support.example',
        subject: 'internal',
      }),
      buildEmail({ from: 'ann@globex.com', messageId: 'b1@globex.com', subject: 'Invoice' }),
      buildEmail({ from: 'jo@initech.com', messageId: 'a1@initech.com', subject: 'TPS' }),
    ];
    const emails = await Promise.all(
      raws.map((raw, uid) =>
        parseEmailSource(Buffer.from(raw), { mailbox: 'help@support.example', folder: 'INBOX', uid }),
      ),
    );
    const bulkCalls: number[] = [];
    const counted = {
      ...hooks,
      async recordLogged(): Promise<void> {
        throw new Error('one call per batch expected, not one per message');
      },
      async recordsLogged(logged: Parameters<NonNullable<typeof hooks.recordsLogged>>[0]) {
        bulkCalls.push(logged.length);
        await hooks.recordsLogged!(logged);
      },
    };
    const opts = { internalDomains: ['support.example'], hooks: counted, createCompanies: 'all' as const };
    const first = await logEmails(h.test.db, emails, opts);
    expect(first.failure).toBeUndefined();
    const logged = first.outcomes.flatMap((o) => (o.status === 'logged' ? [o.messageId] : []));
    expect(first.outcomes.map((o) => o.status)).toEqual(['logged', 'logged', 'skipped', 'logged', 'duplicate']);
    expect(bulkCalls).toEqual([3]);

    const queue = h.queues[QueueName.ClassifyCommunication];
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.map((j) => [j.name, j.id])).toEqual([
      ['classify-batch', jobId('classify-batch', logged[0], logged[2])],
    ]);
    const records = first.outcomes.flatMap((o) => (o.status === 'logged' ? [o.recordId] : []));
    expect(jobs[0].data).toEqual({ messages: logged.map((messageId, k) => ({ recordId: records[k], messageId })) });

    // The same batch again (a sync retried after a crash between the commit and the cursor): no new job.
    const again = await logEmails(h.test.db, emails, opts);
    expect(again.outcomes.every((o) => o.status !== 'logged')).toBe(true);
    await hooks.recordsLogged!(logged.map((messageId, k) => ({ recordId: records[k], messageId })));
    expect(await queue.count()).toBe(1);
  });
});
