import type { Database } from '../src/db/database.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import type { DailyDigestData, EscalateOverdueData, FollowUpReminderData, RetrainModelData } from './job-data.ts';
import { jobId } from './job-ids.ts';
import { REMINDABLE, reminderIndexKey, reminderJobId } from './reminder-schedule.ts';

export interface ReconcileReport {
  /** Messages whose classify job was lost (Redis flushed, written by a CLI without Redis) and were queued again. */
  classificationsQueued: number;
  remindersAdded: number;
  orphansRemoved: number;
  escalationsArmed: number;
  digestSchedules: number;
}

const PAGE = 2_000;

/**
 * The database is the source of truth; Redis only holds schedules derived from it. This makes
 * Redis agree again after anything (FLUSHALL, a lost Redis, a crash between a commit and its
 * enqueue): every open follow-up gets exactly one reminder job at its due time (a missed one fires
 * now), overdue ones get their escalation armed, stale and orphaned jobs go, and each channel with
 * a customer link (plus the default channel) has its daily-digest scheduler.
 */
export async function reconcileSchedules(deps: PipelineDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    classificationsQueued: 0,
    remindersAdded: 0,
    orphansRemoved: 0,
    escalationsArmed: 0,
    digestSchedules: 0,
  };
  report.classificationsQueued = await requeueUnclassified(deps);
  const reminders = deps.queues[QueueName.FollowUpReminder];
  const scheduled = new Map<string, { remove(): Promise<void> }>();
  for (const job of await reminders.getJobs(['delayed', 'waiting', 'prioritized']))
    if (job?.id) scheduled.set(job.id, job);

  const wanted = new Set<string>();
  const index: Record<string, string> = {};
  let cursor: string | undefined;
  for (;;) {
    const page = await deps.db.prisma.followUp.findMany({
      where: { status: { in: [...REMINDABLE] } },
      select: { id: true, dueAt: true, escalatedAt: true },
      orderBy: { id: 'asc' },
      take: PAGE,
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
    });
    if (page.length === 0) break;
    cursor = page[page.length - 1].id;
    const now = Date.now();
    const adds = [];
    for (const f of page) {
      const id = reminderJobId(f.id, f.dueAt);
      wanted.add(id);
      index[f.id] = id;
      const due = f.dueAt.getTime();
      if (due > now) {
        if (!scheduled.has(id)) {
          const data: FollowUpReminderData = { followUpId: f.id, dueEpochMs: due };
          adds.push({ name: 'remind', data, opts: { jobId: id, delay: due - now } });
          report.remindersAdded++;
        }
      } else if (!f.escalatedAt || f.escalatedAt < f.dueAt) {
        // Past due: the reminder delivery is keyed, so re-firing one that was already posted posts nothing.
        const data: FollowUpReminderData = { followUpId: f.id, dueEpochMs: due };
        adds.push({ name: 'remind', data, opts: { jobId: id } });
        const esc: EscalateOverdueData = { followUpId: f.id, dueEpochMs: due };
        await deps.queues[QueueName.EscalateOverdue].add('escalate', esc, {
          jobId: jobId('escalate', f.id, due),
          delay: Math.max(0, due + deps.settings.escalateAfterMs - now),
        });
        report.escalationsArmed++;
      }
    }
    if (adds.length > 0) await reminders.addBulk(adds);
  }
  for (const [id, job] of scheduled) {
    if (id.startsWith('reminder-') && !wanted.has(id)) {
      await job.remove().catch(() => {});
      report.orphansRemoved++;
    }
  }
  const indexKey = reminderIndexKey(deps.queues);
  await deps.redis.del(indexKey);
  if (Object.keys(index).length > 0) await deps.redis.hset(indexKey, index);

  report.digestSchedules = await reconcileDigestSchedulers(deps);
  const retrain: RetrainModelData = { requestedBy: 'schedule' };
  await deps.queues[QueueName.RetrainModel].upsertJobScheduler(
    'retrain-nightly',
    { pattern: deps.settings.retrainCron, tz: deps.settings.timezone },
    { name: 'retrain', data: retrain },
  );
  return report;
}

/**
 * How far back the reconciler looks for unclassified messages. Every worker start and every reconcile
 * interval looks, so a lost job is found within minutes; the bound keeps each look to recent rows
 * (the BRIN index on Message.createdAt) instead of an anti-join over the whole message table.
 */
export const UNCLASSIFIED_LOOKBACK_MS = 30 * 86_400_000;

/**
 * Customer messages older than a minute (and at most {@link UNCLASSIFIED_LOOKBACK_MS}) without a
 * classification lost their job somewhere; queue them again (deterministic ids make this a no-op for
 * jobs still waiting). Oldest first, a bounded batch per run.
 */
async function requeueUnclassified(deps: PipelineDeps): Promise<number> {
  const now = Date.now();
  const rows = await deps.db.sql.query<{ id: string; recordId: string }>(
    `SELECT m.id, m."recordId" FROM "Message" m
      WHERE m.direction NOT IN ('outbound', 'unknown') AND m."createdAt" < $1 AND m."createdAt" >= $2
        AND NOT EXISTS (SELECT 1 FROM "Classification" c WHERE c."recordId" = m."recordId" AND c."messageId" = m.id)
      ORDER BY m."createdAt" LIMIT 5000`,
    [new Date(now - 60_000), new Date(now - UNCLASSIFIED_LOOKBACK_MS)],
  );
  if (rows.length === 0) return 0;
  await deps.queues[QueueName.ClassifyCommunication].addBulk(
    rows.map((r) => ({
      name: 'classify',
      data: { recordId: r.recordId, messageId: r.id },
      opts: { jobId: jobId('classify', r.id) },
    })),
  );
  return rows.length;
}

async function reconcileDigestSchedulers(deps: PipelineDeps): Promise<number> {
  const queue = deps.queues[QueueName.DailyDigest];
  const targets = await digestTargets(
    deps.db,
    deps.settings.defaultTarget,
    deps.settings.timezone,
    deps.settings.digestTime,
  );
  const wantedIds = new Set<string>();
  for (const t of targets) {
    const [hh, mm] = t.time.split(':').map(Number);
    const id = jobId('digest', t.target);
    wantedIds.add(id);
    const data: DailyDigestData = { target: t.target, timezone: t.timezone };
    await queue.upsertJobScheduler(id, { pattern: `${mm} ${hh} * * *`, tz: t.timezone }, { name: 'digest', data });
  }
  for (const s of await queue.getJobSchedulers(0, -1)) {
    if (s.key && !wantedIds.has(s.key)) await queue.removeJobScheduler(s.key);
  }
  return targets.length;
}

async function digestTargets(db: Database, defaultTarget: string, timezone: string, digestTime: string) {
  // Only channels linked to a customer: Teams keeps a row (its ConversationReference) for every chat the bot is in.
  const links = await db.prisma.channelLink.findMany({
    where: { platform: { not: 'email' }, companyId: { not: null } },
    select: { platform: true, channelRef: true, digestTime: true, timezone: true },
  });
  const byTarget = new Map<string, { target: string; time: string; timezone: string }>();
  byTarget.set(defaultTarget, { target: defaultTarget, time: digestTime, timezone });
  for (const l of links) {
    const target = `${l.platform}:${l.channelRef}`;
    byTarget.set(target, { target, time: l.digestTime ?? digestTime, timezone: l.timezone ?? timezone });
  }
  return [...byTarget.values()];
}
