import { type HomeFollowUpList, readHomeFollowUps } from '../db/follow-up.repository.ts';
import { instantToWallClock, zonedWallClockToInstant } from '../domain/zoned-time.ts';
import type { CommandContext } from './command-context.ts';
import type { CommandDeps } from './command-deps.ts';
import { followUpSection } from './follow-up-view.ts';
import { formHandlerContext } from './form-result.ts';
import type { ReplySection } from './reply-model.ts';
import { reviewSection } from './handlers/review.handler.ts';
import { correctableLabels } from '../services/correct-label.service.ts';
import { readReviewQueue } from '../services/review-queue.service.ts';

/** One list of a rep's home page: its items (with the usual buttons) and how many more there are. */
export interface HomeList {
  key: 'overdue' | 'today' | 'open' | 'suggestions' | 'review';
  title: string;
  /** What to say when the list is empty. */
  empty: string;
  items: ReplySection[];
  /** Matching follow-ups beyond `items` (shown as "and N more"). */
  more: number;
  /** The command that lists all of them. */
  moreCommand: string;
}

export interface HomeOverviewOptions {
  /** Most items per list. Default 8 (four lists of 8 stay under Slack's 100 blocks per view). */
  perList?: number;
  /** Suggestions newer than this count as recent. Default 7 days. */
  suggestionsSinceMs?: number;
  /**
   * Targets of the rep's channels ("slack:T1/C2"): suggestions posted there (or in a thread there) are
   * listed besides the ones assigned to the rep. Default none.
   */
  channelTargets?: string[];
  /** Most records in the "Help the model" review list. Default 3. */
  reviewItems?: number;
}

/**
 * A rep's home page, platform-neutral: overdue follow-ups, the ones due later today, the rest of
 * their open ones, recent suggestions for them or their channels, and a few records the classifier
 * needs a person for ("Help the model", see readReviewQueue). Each list is capped; the
 * sections carry the same buttons as everywhere else (Done, Snooze, Accept, Dismiss...).
 */
export async function homeOverview(
  ctx: CommandContext,
  deps: CommandDeps,
  opts: HomeOverviewOptions = {},
): Promise<HomeList[]> {
  const h = await formHandlerContext(ctx, deps);
  const perList = opts.perList ?? 8;
  const now = ctx.now;
  const wall = instantToWallClock(now, h.timeZone);
  const next = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 1));
  const endOfToday = zonedWallClockToInstant(
    { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: 0, minute: 0 },
    h.timeZone,
  );
  const repId = h.rep.id;
  const since = new Date(now.getTime() - (opts.suggestionsSinceMs ?? 7 * 86_400_000));

  const list = async (
    key: HomeList['key'],
    which: HomeFollowUpList,
    text: Omit<HomeList, 'key' | 'items' | 'more'>,
  ): Promise<HomeList> => {
    const { rows, total } = await readHomeFollowUps(deps.db.prisma, which, perList);
    return {
      key,
      ...text,
      items: rows.map((f) => followUpSection(f, h.timeZone, now)),
      more: Math.max(0, total - rows.length),
    };
  };
  const review = async (): Promise<HomeList> => {
    const [queue, labels] = await Promise.all([
      readReviewQueue(deps.db, opts.reviewItems ?? 3),
      correctableLabels(deps.db),
    ]);
    return {
      key: 'review',
      title: 'Help the model',
      empty: 'Nothing to review: the classifier is sure of every recent record.',
      items: queue.items.map((item) => reviewSection(item, labels)),
      more: queue.more,
      moreCommand: 'review',
    };
  };
  return Promise.all([
    list(
      'overdue',
      { kind: 'mine-open', repId, before: now },
      {
        title: 'Overdue',
        empty: 'Nothing overdue.',
        moreCommand: 'followups overdue',
      },
    ),
    list(
      'today',
      { kind: 'mine-open', repId, from: now, before: endOfToday },
      {
        title: 'Due today',
        empty: 'Nothing else due today.',
        moreCommand: 'followups today',
      },
    ),
    list(
      'open',
      { kind: 'mine-open', repId, from: endOfToday },
      {
        title: 'Your open follow-ups',
        empty: 'No later follow-ups. Add one with the “New follow-up” shortcut or "remind".',
        moreCommand: 'followups mine',
      },
    ),
    list(
      'suggestions',
      { kind: 'suggestions', repId, since, channelTargets: opts.channelTargets ?? [] },
      { title: 'Recent suggestions', empty: 'No new suggestions this week.', moreCommand: 'followups all' },
    ),
    review(),
  ]);
}
