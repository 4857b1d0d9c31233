import type { SlackMessageEvent } from './slack-auto-logger.ts';
import { redisNow } from '../../src/redis/redis-clock.ts';
import type { MarkKept, MissedMark } from './slack-missed-marks.ts';
import { catchUpSlackHistory, lastLinkedPassAt, type SlackCatchUpDeps } from './slack-history-catch-up.ts';

/** How often a process looks for marks of missed messages (its own, or those of a process that died). */
export const CATCH_UP_CHECK_MS = 30_000;
/** How long after a miss the process reads it back first (a database failover has a moment to end). */
export const CATCH_UP_MISSED_DELAY_MS = 5_000;

/** What the log says of a miss, by where its mark is kept. */
const MARKED: Record<MarkKept, string> = {
  redis: 'Slack message marked to be read back from the channel history',
  disk: 'Slack message marked to be read back (Redis is away too: kept on disk in RAPPORT_DATA_DIR and written to Redis once it is back)',
  process:
    'Slack message marked to be read back by this process (Redis and the disk refuse: written to Redis once it is back; lost if the process stops before)',
};

/**
 * The Slack catch-up of a process: at start, every linked channel since its newest logged message; then,
 * every CATCH_UP_CHECK_MS (and CATCH_UP_MISSED_DELAY_MS after a miss of its own, or as soon as the pass running
 * then ends), the places marked
 * because a message's event could not be logged after Slack's ack (the database away for longer than the
 * auto-log's retries). The marks live in Redis (on disk too while Redis is away), so a process that dies before reading its miss back
 * leaves it to the others or to its next start; a mark is read back from the missed message on,
 * whatever was logged after it. A start's pass that fails as a whole (the database away), or is skipped
 * because another process holds the catch-up lock, runs again at the next check unless a pass that
 * began after this process started ran to its end in another.
 */
export class SlackCatchUpLoop {
  private stopping = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** A miss's wake that came during a pass: the loop checks again as soon as that pass ends. */
  private wokenDuringPass = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: Omit<SlackCatchUpDeps, 'stopping'>) {}

  /** Starts in the background (readiness does not wait for Slack's histories). */
  start(): void {
    this.running ??= this.run();
  }

  /**
   * A message event that could not be logged: marks where to read it back from (its thread for a reply)
   * and reads it back soon. A deletion is marked as itself (see {@link MissedMark.deleted}): a history
   * cannot say what was deleted, so it is applied again rather than read back.
   */
  async missed(teamId: string, e: SlackMessageEvent): Promise<void> {
    if (this.deps.maxDays <= 0) return;
    const mark = missedMark(teamId, e);
    if (!mark) return;
    const { thread, oldest: ts } = mark;
    const kept = await this.deps.marks.mark(mark);
    // The place's history may be waiting its turn after Slack failed to show it: this miss is read soon.
    await this.deps.marks.retryNow(mark);
    this.deps.logger.warn({ team: teamId, channel: e.channel, ts, thread, kept }, MARKED[kept]);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.wakeUp) this.wakeUp();
      else this.wokenDuringPass = true;
    }, CATCH_UP_MISSED_DELAY_MS);
    timer.unref();
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.wakeUp?.();
    await this.running;
  }

  private async run(): Promise<void> {
    // The start's pass runs again at each check until it has run here, or a pass that began after this
    // process started ran to its end elsewhere: the lock may be held by a process killed during its own
    // (for up to its TTL), and the database may be away at start.
    // By Redis's clock, as the passes of other processes are noted (machines' clocks differ); Redis away
    // at start: no other pass counts, this process runs its own.
    const startedAt = await redisNow(this.deps.redis).catch(() => Number.POSITIVE_INFINITY);
    const linkedPassDone = async () =>
      (await this.pass(true)) === 'ran' || (await lastLinkedPassAt(this.deps.redis, this.deps.prefix)) >= startedAt;
    let linkedDone = await linkedPassDone();
    while (!this.stopping) {
      const woken = this.wokenDuringPass;
      this.wokenDuringPass = false;
      if (!woken)
        await new Promise<void>((resolve) => {
          // Never what keeps a process alive: stop() wakes it.
          const timer = setTimeout(resolve, CATCH_UP_CHECK_MS).unref();
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      this.wakeUp = undefined;
      if (this.stopping) break;
      if (!linkedDone) linkedDone = await linkedPassDone();
      else if (await this.deps.marks.any()) await this.pass(false);
    }
  }

  /** One catch-up: `failed` as a whole, `skipped` (another process held the lock) or `ran`. */
  private async pass(linked: boolean): Promise<'ran' | 'skipped' | 'failed'> {
    try {
      const report = await catchUpSlackHistory({ ...this.deps, stopping: () => this.stopping }, { linked });
      if (report.channels + report.marks > 0)
        this.deps.logger.info(
          report,
          linked
            ? 'Slack catch-up: linked channels read back since their newest logged message'
            : 'Slack catch-up: messages that could not be logged read back',
        );
      return report.ran ? 'ran' : 'skipped';
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'Slack catch-up failed; tried again later');
      return 'failed';
    }
  }
}

/** Where a missed event is read back from (an edit: the message it changes; a reply: its thread), or the deletion to apply. */
function missedMark(teamId: string, e: SlackMessageEvent): MissedMark | undefined {
  if (e.subtype === 'message_deleted')
    return e.deleted_ts ? { teamId, channel: e.channel, oldest: e.deleted_ts, only: true, deleted: true } : undefined;
  // An edit's own ts is when it was made; the history lists the message at its first ts.
  const ts = e.subtype === 'message_changed' ? e.message?.ts : e.ts;
  if (!ts) return undefined;
  const thread = e.thread_ts ?? e.message?.thread_ts;
  return { teamId, channel: e.channel, ...(thread && thread !== ts ? { thread } : {}), oldest: ts };
}
