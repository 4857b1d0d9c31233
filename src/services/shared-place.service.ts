import type { Database } from '../db/database.ts';
import { findPostsInPlace, recordDirectPost, type PostedCard } from '../db/posted-card.repository.ts';
import type { Logger } from '../logger.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { clearTeamChannel } from './team-channels.service.ts';

/**
 * The place a target is in: a Slack thread's channel (`slack:T1/C2/1700000000.000100` → `slack:T1/C2`),
 * a Teams reply chain's conversation (`teams:19:…;messageid=1` → `teams:19:…`); else the target itself.
 */
export function placeOf(target: string): string {
  const slack = /^slack:[^/]+\/[^/]+/.exec(target);
  if (slack) return slack[0];
  const chain = target.startsWith('teams:') ? target.indexOf(';messageid=') : -1;
  return chain === -1 ? target : target.slice(0, chain);
}

/** What a taken-back card says (retractedCardReply 'shared'). */
export const TAKEN_BACK_TEXT = 'Taken back: this channel is now shared with people outside the company.';

/**
 * A place Rapport posts internal messages to (`slack:T1/C2`, `teams:<conversation>`) is not internal any
 * more: shared with another organisation, or a guest or someone of another tenant joined. It stops
 * being a team channel, and every message Rapport posted there (follow-up cards, private copies,
 * digests, insights posts, notices, command answers and welcome cards recorded by {@link rememberDirectPost};
 * a post the last-step guard redirected elsewhere is not there) is
 * taken back: a `retract` delivery per message (keyed by the message, so telling this twice is one
 * retraction each) updates it to {@link TAKEN_BACK_TEXT}, with no name, quote or button. A taken-back
 * card is never refreshed again (deliver-message), and new posts meet the last-step guard.
 * @returns how many messages are being taken back.
 */
export async function takeBackFromSharedPlace(
  db: Database,
  hooks: Pick<PipelineHooks, 'cardsRetracted'>,
  place: string,
  logger?: Logger,
): Promise<number> {
  await clearSharedTeamChannel(db, placeOf(place), logger);
  return takeBackPostsIn(db, hooks, place, logger);
}

/** The place has people from outside the company: it is nobody's team channel any more. */
export async function clearSharedTeamChannel(db: Database, place: string, logger?: Logger): Promise<void> {
  const customers = await clearTeamChannel(db.prisma, place, 'outsiders');
  if (customers.length > 0)
    logger?.warn(
      { target: place, customers: customers.length },
      'team channel has people from outside the company: it is no longer a team channel',
    );
}

/** The retractions of takeBackFromSharedPlace alone. @returns how many messages are being taken back. */
export async function takeBackPostsIn(
  db: Database,
  hooks: Pick<PipelineHooks, 'cardsRetracted'>,
  place: string,
  logger?: Logger,
): Promise<number> {
  const posts = await findPostsInPlace(db.sql, placeOf(place));
  if (posts.length === 0) return 0;
  if (!hooks.cardsRetracted) {
    logger?.error({ target: place, posts: posts.length }, 'no pipeline here to take back the posts of a shared place');
    return 0;
  }
  await hooks.cardsRetracted(posts, 'shared');
  logger?.warn(
    { target: place, posts: posts.length },
    'place shared with people outside the company: taking back what Rapport posted there',
  );
  return posts.length;
}

/**
 * Remembers a message a connector posted itself in a channel or group conversation (a command's answer,
 * a Teams welcome card), so that {@link takeBackFromSharedPlace} finds it when the place becomes shared
 * (recordDirectPost), and with the customers it names (`about`, the reply's `about`) so that erasing one
 * of them takes it back (eraseCustomerAndCards). An answer naming a customer erased while it was on its
 * way (read before the erasure, posted after it) is taken back at once through `hooks`. 1:1 chats need
 * no record: nobody joins them, and the rep who asked reads what they asked for. The message is out
 * already: a failure to record it is logged, never thrown, so the answer stands; only its take-back is lost.
 */
export async function rememberDirectPost(
  db: Database,
  post: PostedCard & { about?: readonly string[] },
  logger?: Logger,
  hooks?: Pick<PipelineHooks, 'cardsRetracted'>,
): Promise<void> {
  let customerGone: boolean;
  try {
    ({ customerGone } = await recordDirectPost(db.sql, post));
  } catch (err) {
    logger?.error(
      { target: post.target, externalId: post.externalId, err: (err as Error).message },
      'a message posted in a channel could not be recorded: it will not be taken back if the channel becomes shared or its customer is erased',
    );
    return;
  }
  if (!customerGone) return;
  const where = { target: post.target, externalId: post.externalId };
  const cannot = (why: string) =>
    logger?.error({ ...where, err: why }, 'an answer naming an erased customer could not be taken back');
  if (!hooks?.cardsRetracted) return cannot('no pipeline here to take it back');
  logger?.warn(where, 'an answer naming a customer erased meanwhile was posted: taking it back');
  try {
    await hooks.cardsRetracted([where], 'erased');
  } catch (err) {
    cannot((err as Error).message);
  }
}
