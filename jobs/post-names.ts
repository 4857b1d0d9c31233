import { findPostNamingGone } from '../src/db/posted-card.repository.ts';
import { cardRetractions, queueCardChanges } from './card-changes.ts';
import type { DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** The deliveries whose post names customers (Reply.about): the daily digest and the weekly insights post. */
export const namesCustomers = (d: DeliverMessageData): boolean => d.kind === 'digest' || d.kind === 'insights';

/**
 * A digest or a weekly insights post names customers (the follow-ups it lists, the customers at risk);
 * their ids were written on its Delivery row before it was posted (addPostNames), so an erasure of any
 * of them finds the post once it is recorded sent. An erasure that committed while the post was on its
 * way found nothing: once the post is recorded, this looks whether a customer it names is gone and
 * takes the whole post back at once. Runs after every recording of the post and on every rerun that
 * finds it sent (a crash or a failure right after the recording: a retry of the job looks again);
 * errors are thrown so that the job is retried.
 */
export async function takeBackIfNamedGone(deps: PipelineDeps, key: string): Promise<'kept' | 'retracted'> {
  const post = await findPostNamingGone(deps.db.sql, key);
  if (!post) return 'kept';
  deps.logger.warn({ key, ...post }, 'a post naming a customer erased meanwhile went out: taking it back');
  await queueCardChanges(deps, cardRetractions([post], 'erased'));
  return 'retracted';
}
