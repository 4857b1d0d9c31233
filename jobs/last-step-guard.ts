import type { Audience } from '../src/domain/audience.ts';
import type { Reply } from '../src/commands/reply-model.ts';
import { clearSharedTeamChannel, placeOf, takeBackPostsIn } from '../src/services/shared-place.service.ts';
import { cardRetractions, queueCardChanges } from './card-changes.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** Where an internal post finally goes, and why it is not where it was meant to go. */
export interface GuardedRoute {
  target: string;
  /** Set when the post was redirected: the target it was meant for and what its connector said. */
  redirectedFrom?: { target: string; audience: Audience };
}

/** Always internal: the operator's own console feed, the last resort when every chat target is doubtful. */
const LAST_RESORT_TARGET = 'console:team';

/**
 * The last-step guard: before an internal post (suggestion, reminder, escalation, digest, notice),
 * asks the target's connector who can read it. Anything but `internal` (outsiders there, or the
 * platform could not say) is not safe: the post goes to the default team channel instead, checked the
 * same way, else to the console feed. Never dropped. A place found to have outsiders loses its team
 * channel role (its customers' cards go to the default channel from then on) and what Rapport posted
 * there before is taken back (takeBackPostsIn: the membership event that said so may have been missed,
 * or received by another process); one that could not be checked keeps its role and is asked again next
 * time. A target whose platform does not answer (down, a 5xx, a timeout) is not redirected unless
 * `waitForPlatform` is false: the post waits for the platform (DeliveryError `temporary`, retried and
 * redriven) and goes where it was meant to once it answers (the delivery job bounds the wait).
 * Returns undefined only when no connector anywhere can take the post (then the caller fails the
 * delivery loudly).
 * @throws DeliveryError auth / not_found from the target's connector (not installed there, platform not
 * enabled); temporary when the target's platform does not answer.
 */
export async function routeThroughGuard(
  target: string,
  deps: PipelineDeps,
  opts: { waitForPlatform: boolean } = { waitForPlatform: true },
): Promise<GuardedRoute | undefined> {
  // An `auth` failure for the target itself propagates: not installed there, the post fails like any post would.
  const audience = await deps.registry
    .forTarget(target)
    .audience(target, { unreachable: opts.waitForPlatform ? 'throw' : 'unknown' });
  if (audience === 'internal') return { target };
  if (audience === 'external') {
    await clearSharedTeamChannel(deps.db, target, deps.logger);
    await takeBackOnce(placeOf(target), deps);
  }
  const redirectedFrom = { target, audience };
  for (const fallback of [deps.settings.defaultTarget, LAST_RESORT_TARGET]) {
    if (fallback === target) continue;
    if ((await audienceOf(fallback, deps)) === 'internal') {
      deps.logger.warn({ from: target, to: fallback, audience }, 'internal post redirected by the last-step guard');
      return { target: fallback, redirectedFrom };
    }
  }
  return undefined;
}

/** How long after taking back a place's posts this process does not look again (each look reads every post). */
const TAKE_BACK_QUIET_MS = 60_000;
const takenBackAt = new Map<string, number>();

/**
 * takeBackPostsIn for a place the guard found external, at most once a minute per place and
 * process: the retractions are keyed by message, so looking again only finds what was posted since.
 * A failure is logged, never fails the post (which goes elsewhere anyway); the next post there tries again.
 */
async function takeBackOnce(place: string, deps: PipelineDeps): Promise<void> {
  const now = Date.now();
  if ((takenBackAt.get(place) ?? 0) > now - TAKE_BACK_QUIET_MS) return;
  if (takenBackAt.size >= 10_000) takenBackAt.clear();
  takenBackAt.set(place, now);
  try {
    await takeBackPostsIn(
      deps.db,
      { cardsRetracted: (cards, reason) => queueCardChanges(deps, cardRetractions(cards, reason)) },
      place,
      deps.logger,
    );
  } catch (err) {
    takenBackAt.delete(place);
    deps.logger.error(
      { target: place, err: (err as Error).message },
      'could not take back the posts of a place with outsiders; the next post there tries again',
    );
  }
}

/** The one-line notice a redirected post carries, so nobody wonders why it is here. */
export function withRedirectNotice(reply: Reply, from: NonNullable<GuardedRoute['redirectedFrom']>): Reply {
  const why =
    from.audience === 'external'
      ? 'that channel has people from outside the company'
      : 'Rapport could not check who is in that channel';
  const notice = `Posted here instead of ${describeTarget(from.target)}: ${why}.`;
  return { ...reply, footer: reply.footer ? `${notice} ${reply.footer}` : notice };
}

/** A target as short as it can be said in a reply model (plain text on every platform): the channel id. */
function describeTarget(target: string): string {
  const slack = /^slack:[^/]+\/([^/]+)/.exec(target);
  return `channel ${slack ? slack[1] : target.slice(target.indexOf(':') + 1)}`;
}

async function audienceOf(target: string, deps: PipelineDeps): Promise<Audience> {
  try {
    return await deps.registry.forTarget(target).audience(target);
  } catch {
    return 'unknown';
  }
}
