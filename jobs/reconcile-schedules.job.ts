import type { Queue } from 'bullmq';
import { findDigestSettings } from '../src/db/channel-link.repository.ts';
import { findExistingFollowUpIds, listOpenFollowUpsPage } from '../src/db/follow-up.repository.ts';
import { findUnclassifiedMessages } from '../src/db/message.repository.ts';
import { listTeamChannelTargets } from '../src/db/team-channel.repository.ts';
import type { Database } from '../src/db/database.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import type {
  DailyDigestData,
  DeliverMessageData,
  EscalateOverdueData,
  FollowUpReminderData,
  RetrainModelData,
  WeeklyInsightsData,
} from './job-data.ts';
import { jobId } from './job-ids.ts';
import { classifyJob } from './classify-job.ts';
import { insightsDelivery, isoWeek, REFRESH_INSIGHTS_EVERY_MS } from './weekly-insights.job.ts';
import { digestDelivery, localDay, queueWrittenDown } from './daily-digest.job.ts';
import { findExistingDeliveryKeys } from '../src/db/delivery.repository.ts';
import { instantToWallClock, zonedWallClockToInstant } from '../src/domain/zoned-time.ts';
import { queueReminders, reminderIndexKey, reminderJobId, syncReminder } from './reminder-schedule.ts';
import type { ReconcileSchedulesData } from './job-data.ts';
import { requeueJobs, type JobToRequeue } from './requeue-jobs.ts';
import { redriveDeliveries } from './redrive-deliveries.ts';
import { sweepHeldAuthors } from './decide-held-author.job.ts';

export interface ReconcileReport {
  /** Messages whose classify job was lost (Redis flushed, written by a CLI without Redis) and were queued again. */
  classificationsQueued: number;
  remindersAdded: number;
  /** Reminder jobs of follow-ups in this database that are no longer due then (done, moved). */
  orphansRemoved: number;
  /** Reminder jobs naming no follow-up of this database: not provably ours, so left alone (they end as no-ops). */
  unknownLeft: number;
  /** Deliveries whose job was lost or gave up, queued again. */
  deliveriesRequeued: number;
  /** Suggestions whose card was never claimed, queued. */
  suggestionsQueued: number;
  escalationsArmed: number;
  digestSchedules: number;
  /**
   * Today's digests (and this week's insights posts) whose time passed with no Delivery row for them
   * (Redis was empty then, or their job gave up), queued now.
   */
  postsCaughtUp: number;
  /** Authors with chat messages still held as `unknown` (the platform could not say who they are), asked again. */
  heldAuthorsQueued: number;
  /** Weekly insights posts scheduled (one per digest target; 0 when RAPPORT_INSIGHTS_POST=off). */
  insightsSchedules: number;
}

const PAGE = 2_000;

/**
 * The database is the source of truth; Redis only holds schedules derived from it. This makes
 * Redis agree again after anything (FLUSHALL, a lost Redis, a crash between a commit and its
 * enqueue): every open follow-up gets exactly one reminder job at its due time (a missed one fires
 * now), overdue ones get their escalation armed, stale and orphaned jobs go, and each channel with
 * a customer link (plus the default channel) has its daily-digest scheduler; every author with chat
 * messages held as `unknown` is asked about again; lost and given-up deliveries are driven again. It runs only while the Redis prefix is this deployment's (so it never
 * removes another deployment's jobs), and removes only reminder jobs of follow-ups in this database.
 */
export async function reconcileSchedules(
  deps: PipelineDeps,
  data: ReconcileSchedulesData = {},
): Promise<ReconcileReport> {
  if (deps.owner) {
    const found = await deps.owner.check();
    if (found.state !== 'ours')
      throw new Error(
        `the Redis key prefix is ${found.state === 'lost' ? 'unclaimed' : "another deployment's"}; reconcile skipped`,
      );
  }
  const report: ReconcileReport = {
    classificationsQueued: 0,
    remindersAdded: 0,
    orphansRemoved: 0,
    unknownLeft: 0,
    escalationsArmed: 0,
    digestSchedules: 0,
    postsCaughtUp: 0,
    insightsSchedules: 0,
    deliveriesRequeued: 0,
    suggestionsQueued: 0,
    heldAuthorsQueued: 0,
  };
  report.classificationsQueued = await requeueUnclassified(deps, data.afterLoss ? 0 : 60_000);
  const reminders = deps.queues[QueueName.FollowUpReminder];
  const scheduled = new Map<string, { remove(): Promise<void> }>();
  for (const job of await reminders.getJobs(['delayed', 'waiting', 'prioritized']))
    if (job?.id) scheduled.set(job.id, job);

  const wanted = new Set<string>();
  const index: Record<string, string> = {};
  let cursor: string | undefined;
  for (;;) {
    const page = await listOpenFollowUpsPage(deps.db.prisma, cursor, PAGE);
    if (page.length === 0) break;
    cursor = page[page.length - 1].id;
    const now = Date.now();
    const adds = [];
    const pastDue: PastDue[] = [];
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
      } else if (!f.escalatedAt || f.escalatedAt < f.dueAt) pastDue.push({ id: f.id, due });
    }
    if (adds.length > 0) await reminders.addBulk(adds);
    await requeuePastDue(deps, pastDue, now);
    report.escalationsArmed += pastDue.length;
  }
  const stale = [...scheduled.keys()].filter((id) => id.startsWith('reminder-') && !wanted.has(id));
  const ours = await followUpsInDatabase(deps.db, stale.map(followUpIdOfReminder));
  const removedFor = new Set<string>();
  for (const id of stale) {
    if (ours.has(followUpIdOfReminder(id))) {
      await scheduled
        .get(id)!
        .remove()
        .catch(() => {});
      removedFor.add(followUpIdOfReminder(id));
      report.orphansRemoved++;
    } else report.unknownLeft++;
  }
  const indexKey = reminderIndexKey(deps.queues);
  await deps.redis.del(indexKey);
  if (Object.keys(index).length > 0) await deps.redis.hset(indexKey, index);
  // A job listed before the pages were read may be wanted again by now (moved away and back meanwhile:
  // its sync queued it again under the same id): each follow-up whose job went is read again and synced.
  for (const followUpId of removedFor) await syncReminder(deps.db, deps.redis, deps.queues, followUpId);

  report.digestSchedules = await reconcileDigestSchedulers(deps);
  report.postsCaughtUp = await catchUpDigests(deps);
  report.heldAuthorsQueued = await sweepHeldAuthors(deps);
  report.insightsSchedules = await reconcileInsightsSchedulers(deps);
  report.postsCaughtUp += await catchUpInsightsPosts(deps);
  Object.assign(report, await redriveDeliveries(deps, { afterLoss: data.afterLoss }));
  const retrain: RetrainModelData = { requestedBy: 'schedule' };
  await deps.queues[QueueName.RetrainModel].upsertJobScheduler(
    'retrain-nightly',
    { pattern: deps.settings.retrainCron, tz: deps.settings.timezone },
    { name: 'retrain', data: retrain },
  );
  // Nightly, half an hour after the retrain's default time, in the deployment's timezone.
  await deps.queues[QueueName.PruneRetention].upsertJobScheduler(
    'prune-nightly',
    { pattern: '30 3 * * *', tz: deps.settings.timezone },
    { name: 'prune', data: {} },
  );
  return report;
}

interface PastDue {
  id: string;
  due: number;
}

/**
 * Past-due follow-ups not escalated yet: the reminder fires now and the escalation is armed. Both go
 * through requeueJobs (the reminder through queueReminders, as a change's syncReminder queues it): a
 * reminder or escalation job that used up its attempts (PostgreSQL away for longer than its ~31 s of
 * retries) stays in the failed set for a week under the id, where a plain add is a no-op, and the
 * reminder was lost. A reminder whose delivery is written down already (it ran; the
 * redrive has its delivery, sent or not) and one kept `completed` (it ran and moved on) are not run again.
 */
async function requeuePastDue(deps: PipelineDeps, pastDue: readonly PastDue[], now: number): Promise<void> {
  if (pastDue.length === 0) return;
  await queueReminders(
    deps.db,
    deps.queues,
    pastDue.map((p) => ({ followUpId: p.id, due: p.due })),
    ['failed'],
    now,
  );
  const escalate: JobToRequeue<EscalateOverdueData>[] = pastDue.map((p) => ({
    name: 'escalate',
    data: { followUpId: p.id, dueEpochMs: p.due },
    opts: { jobId: jobId('escalate', p.id, p.due), delay: Math.max(0, p.due + deps.settings.escalateAfterMs - now) },
  }));
  await requeueJobs(deps.queues[QueueName.EscalateOverdue], escalate);
}

/**
 * How far back the reconciler looks for unclassified messages. Every worker start and every reconcile
 * interval looks, so a lost job is found within minutes; the bound keeps each look to recent rows
 * (the BRIN index on Message.createdAt) instead of an anti-join over the whole message table.
 */
export const UNCLASSIFIED_LOOKBACK_MS = 30 * 86_400_000;

/** "reminder-<uuid>-<epoch>" -> the uuid. */
function followUpIdOfReminder(id: string): string {
  return id.slice('reminder-'.length, 'reminder-'.length + 36);
}

async function followUpsInDatabase(db: Database, ids: string[]): Promise<Set<string>> {
  const uuids = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (uuids.length === 0) return new Set();
  return findExistingFollowUpIds(db.sql, uuids);
}

/** How long after a message is written its classify job may be added (the commit comes between). */
const COMMIT_TO_QUEUE_MS = 60_000;

/**
 * Customer messages older than `minAgeMs` (a minute; none after a Redis loss) and at most
 * {@link UNCLASSIFIED_LOOKBACK_MS} without a classification lost their job somewhere; queue them
 * again. A job still waiting makes that a no-op, and a kept finished one is replaced (a plain add of
 * its id would be a no-op). But a commit's `classify-batch` job names its messages under an id of its
 * own, so while classify jobs wait, messages written after the oldest of them was queued (less
 * {@link COMMIT_TO_QUEUE_MS}) may be waiting in one: they are left for a run after the queue has moved
 * past them, instead of being classified twice over behind a long backlog. Oldest first, a bounded
 * batch per run.
 */
async function requeueUnclassified(deps: PipelineDeps, minAgeMs: number): Promise<number> {
  const now = Date.now();
  const queue = deps.queues[QueueName.ClassifyCommunication];
  // After a loss the queue is not to be trusted: everything unclassified goes again (a second run writes nothing).
  const backlogSince = minAgeMs > 0 ? await oldestQueuedAt(queue) : undefined;
  const before = Math.min(now - minAgeMs, (backlogSince ?? Number.POSITIVE_INFINITY) - COMMIT_TO_QUEUE_MS);
  const rows = await findUnclassifiedMessages(deps.db.sql, {
    before: new Date(before),
    since: new Date(now - UNCLASSIFIED_LOOKBACK_MS),
    limit: 5000,
  });
  const queued = await requeueJobs(
    queue,
    rows.map((r) => classifyJob({ recordId: r.recordId, messageId: r.id })),
  );
  return queued.length;
}

/**
 * When the oldest job of the queue not yet finished (waiting, delayed, prioritized or
 * running) was added, or undefined when none is. The wait lists are read at both ends, the
 * others (retries, running jobs: few) up to a thousand each.
 */
async function oldestQueuedAt(queue: Queue): Promise<number | undefined> {
  const lists = await Promise.all([
    queue.getJobs(['wait'], 0, 0, true),
    queue.getJobs(['wait'], 0, 0, false),
    queue.getJobs(['active', 'delayed', 'prioritized'], 0, 999),
  ]);
  const times = lists.flat().flatMap((job) => (job && Number.isFinite(job.timestamp) ? [job.timestamp] : []));
  return times.length > 0 ? Math.min(...times) : undefined;
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

/** One weekly insights scheduler per digest target (the default channel and every team channel), at RAPPORT_INSIGHTS_POST. */
async function reconcileInsightsSchedulers(deps: PipelineDeps): Promise<number> {
  if (deps.settings.insights)
    await deps.queues[QueueName.RefreshInsights].upsertJobScheduler(
      'refresh-insights',
      { every: REFRESH_INSIGHTS_EVERY_MS },
      { name: 'refresh-insights', data: {} },
    );
  const queue = deps.queues[QueueName.WeeklyInsights];
  const post = deps.settings.insights?.weeklyPost;
  const targets = post
    ? await digestTargets(deps.db, deps.settings.defaultTarget, deps.settings.timezone, post.time)
    : [];
  const wantedIds = new Set<string>();
  for (const t of targets) {
    const [hh, mm] = post!.time.split(':').map(Number);
    const id = jobId('insights', t.target);
    wantedIds.add(id);
    const data: WeeklyInsightsData = { target: t.target, timezone: t.timezone };
    await queue.upsertJobScheduler(
      id,
      { pattern: `${mm} ${hh} * * ${post!.weekday}`, tz: t.timezone },
      { name: 'insights', data },
    );
  }
  for (const s of await queue.getJobSchedulers(0, -1)) {
    if (s.key && !wantedIds.has(s.key)) await queue.removeJobScheduler(s.key);
  }
  return targets.length;
}

/**
 * A scheduler arms only its next occurrence: a digest whose time passed while Redis was empty (or whose
 * job gave up, the database away) was skipped that day. Each channel whose digest time has passed today
 * (in its timezone) and that has no Delivery row for today's digest gets it queued now, under the key
 * the scheduled job uses (written down first), so it is never posted twice. Only channels that had a
 * digest on one of the 7 days before: a first start, or a channel new today, does not post one at a
 * random hour.
 */
async function catchUpDigests(deps: PipelineDeps): Promise<number> {
  const now = new Date();
  const due: Array<{ today: DeliverMessageData; before: string[] }> = [];
  for (const t of await digestTargets(
    deps.db,
    deps.settings.defaultTarget,
    deps.settings.timezone,
    deps.settings.digestTime,
  )) {
    const wall = instantToWallClock(now, t.timezone);
    if (wall.hour * 60 + wall.minute < minutesOf(t.time)) continue;
    due.push({
      today: digestDelivery(t.target, localDay(now, t.timezone)),
      before: [1, 2, 3, 4, 5, 6, 7].map((d) => digestDelivery(t.target, localDay(now, t.timezone, -d)).key),
    });
  }
  return queueMissed(deps, due);
}

/**
 * The same for the weekly insights post: its last occurrence (within the week past) under the key the
 * scheduled job gave it (the ISO week of the instant it ran), for a channel that had one in the 4 weeks before.
 */
async function catchUpInsightsPosts(deps: PipelineDeps): Promise<number> {
  const post = deps.settings.insights?.weeklyPost;
  if (!post) return 0;
  const now = new Date();
  const due: Array<{ today: DeliverMessageData; before: string[] }> = [];
  for (const t of await digestTargets(deps.db, deps.settings.defaultTarget, deps.settings.timezone, post.time)) {
    const wall = instantToWallClock(now, t.timezone);
    const weekday = new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
    let back = (weekday - post.weekday + 7) % 7;
    if (back === 0 && wall.hour * 60 + wall.minute < minutesOf(post.time)) back = 7;
    const last = zonedWallClockToInstant(
      { year: wall.year, month: wall.month, day: wall.day - back, hour: 0, minute: minutesOf(post.time) },
      t.timezone,
    );
    due.push({
      today: insightsDelivery(t.target, isoWeek(last)),
      before: [1, 2, 3, 4].map(
        (w) => insightsDelivery(t.target, isoWeek(new Date(last.getTime() - w * 7 * 86_400_000))).key,
      ),
    });
  }
  return queueMissed(deps, due);
}

/** Queues (written down first) each post with no row of its own whose channel had one of the posts before. */
async function queueMissed(
  deps: PipelineDeps,
  due: ReadonlyArray<{ today: DeliverMessageData; before: string[] }>,
): Promise<number> {
  if (due.length === 0) return 0;
  const found = await findExistingDeliveryKeys(
    deps.db.sql,
    due.flatMap((d) => [d.today.key, ...d.before]),
  );
  let queued = 0;
  for (const d of due) {
    if (found.has(d.today.key) || !d.before.some((k) => found.has(k))) continue;
    await queueWrittenDown(deps, d.today);
    queued++;
  }
  return queued;
}

function minutesOf(hhmm: string): number {
  const [hh, mm] = hhmm.split(':').map(Number);
  return hh * 60 + mm;
}

async function digestTargets(db: Database, defaultTarget: string, timezone: string, digestTime: string) {
  // The default channel and every team channel (a customer channel gets no digest: the customer reads
  // it). A team channel's time and timezone come from its ChannelLink row when it has one.
  const teamChannels = await listTeamChannelTargets(db.prisma);
  const settings = await findDigestSettings(db.prisma, teamChannels);
  const settingsOf = new Map(settings.map((l) => [`${l.platform}:${l.channelRef}`, l]));
  const byTarget = new Map<string, { target: string; time: string; timezone: string }>();
  byTarget.set(defaultTarget, { target: defaultTarget, time: digestTime, timezone });
  for (const t of teamChannels) {
    const target = `${t.platform}:${t.channelRef}`;
    const l = settingsOf.get(target);
    byTarget.set(target, { target, time: l?.digestTime ?? digestTime, timezone: l?.timezone ?? timezone });
  }
  return [...byTarget.values()];
}
