import { recordPostNames } from '../src/db/posted-card.repository.ts';
import { cardRetractions, queueCardChanges } from './card-changes.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** What became of the customers a post names: none named, recorded, taken back at once, or not recorded. */
export type PostNames = 'none' | 'recorded' | 'retracted' | 'unrecorded';

/**
 * A digest or a weekly insights post names customers (Reply.about: the follow-ups it lists, the
 * customers at risk). Once the post is recorded sent, they are written on its Delivery row
 * (recordPostNames), so that erasing any one of them takes the whole post back like a card. A customer
 * erased while the post was on its way (after it was built from the data) is gone by then: no erasure
 * will find the post, so it is taken back here at once. Failures are logged, not thrown: the post is
 * out and recorded, and a rerun would find it sent; only its take-back is lost.
 */
export async function rememberPostNames(
  deps: PipelineDeps,
  key: string,
  about: readonly string[] | undefined,
  posted: { target: string; externalId: string },
): Promise<PostNames> {
  if (!about?.length) return 'none';
  try {
    const { customerGone } = await recordPostNames(deps.db.sql, key, about);
    if (!customerGone) return 'recorded';
    deps.logger.warn({ key, ...posted }, 'a post naming a customer erased meanwhile went out: taking it back');
    await queueCardChanges(deps, cardRetractions([posted], 'erased'));
    return 'retracted';
  } catch (err) {
    deps.logger.error(
      { key, ...posted, err: (err as Error).message },
      'the customers a post names could not be recorded: erasing one of them will not take it back',
    );
    return 'unrecorded';
  }
}
