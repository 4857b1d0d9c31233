import type { Audience } from '../src/domain/audience.ts';
import type { Reply } from '../src/commands/reply-model.ts';
import { clearTeamChannel } from '../src/services/team-channels.service.ts';
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
 * same way, else to the console feed. Never dropped. A team channel found to have outsiders loses
 * that role (its customers' cards go to the default channel from then on); one that could not be
 * checked keeps it and is asked again next time. Returns undefined only when no connector anywhere
 * can take the post (then the caller fails the delivery loudly).
 * @throws DeliveryError auth / not_found from the target's connector (not installed there, platform not enabled).
 */
export async function routeThroughGuard(target: string, deps: PipelineDeps): Promise<GuardedRoute | undefined> {
  // An `auth` failure for the target itself propagates: not installed there, the post fails like any post would.
  const audience = await deps.registry.forTarget(target).audience(target);
  if (audience === 'internal') return { target };
  if (audience === 'external') {
    const customers = await clearTeamChannel(deps.db.prisma, target, 'outsiders');
    if (customers.length > 0)
      deps.logger.warn(
        { target, customers: customers.length },
        'team channel has people from outside the company: it is no longer a team channel',
      );
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
