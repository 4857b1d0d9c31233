import { hasAuditEntry } from '../src/db/audit-log.repository.ts';
import type { Database } from '../src/db/database.ts';
import type { FollowUpCardData } from '../src/db/follow-up-card.repository.ts';
import type { CardRetraction } from '../src/services/posted-cards.service.ts';
import type { DeliverMessageData } from './job-data.ts';
import { jobId } from './job-ids.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { queueCardChanges } from './card-changes.ts';

/** What a posted card needed once it was recorded: nothing, a refresh, or to be taken back (or it could not be checked). */
export type CardFollowUp = 'current' | 'refreshed' | 'retracted' | 'unchecked';

/**
 * A card is rendered from the data read at its claim and then posted; a change committed while the post
 * was on its way (a `forget`, a deleted or edited message, a click) looked for the card's message before
 * it was recorded, found none, and left it. So once the post is recorded the card's data is read again:
 * a change committed after that read finds the recorded message and updates it itself; one committed
 * before is seen here, and the card is queued for a refresh (its data changed) or a retraction (its
 * follow-up is gone with the customer or the conversation). Failures here (the database or the queue
 * not answering) are logged and answered `unchecked`, not thrown: the post is recorded, and a rerun of
 * the delivery would find it sent and check nothing.
 * `unknown`: an earlier attempt posted the card (found on the platform after a crash), with the data of
 * its own moment; it is refreshed (or retracted) without comparing.
 * `privateCopy`: the assignee's copy of a reminder or an escalation (a DM) is never refreshed (the
 * channel's card is the follow-up's), only taken back once its follow-up is gone.
 */
export async function followTheData(
  deps: PipelineDeps,
  readCard: (followUpId: string) => Promise<FollowUpCardData | undefined>,
  shown: FollowUpCardData | { id: string; unknown: true },
  card: { target: string; externalId: string },
  opts: { privateCopy?: boolean } = {},
): Promise<CardFollowUp> {
  try {
    const now = await readCard(shown.id);
    if (now && (opts.privateCopy || (!('unknown' in shown) && sameCard(now, shown)))) return 'current';
    const data: DeliverMessageData = now
      ? {
          key: jobId('refresh', shown.id, 'behind', card.externalId, now.updatedAt.getTime(), Date.now()),
          kind: 'refresh',
          target: card.target,
          followUpId: shown.id,
          externalId: card.externalId,
        }
      : {
          key: jobId('retract', card.target, card.externalId),
          kind: 'retract',
          target: card.target,
          externalId: card.externalId,
          reason: await whyGone(deps.db, shown),
        };
    await queueCardChanges(deps, [data]);
    return now ? 'refreshed' : 'retracted';
  } catch (err) {
    deps.logger.warn(
      { followUpId: shown.id, target: card.target, externalId: card.externalId, err: (err as Error).message },
      'could not check that a card just posted still shows its data: it shows what it was posted with',
    );
    return 'unchecked';
  }
}

/** Whether two reads show the same card; posting it changes its purpose and update time, not what it shows. */
function sameCard(a: FollowUpCardData, b: FollowUpCardData): boolean {
  const shows = ({ updatedAt: _u, messagePurpose: _p, ...rest }: FollowUpCardData) => JSON.stringify(rest);
  return shows(a) === shows(b);
}

/** A follow-up goes with its conversation (its last message deleted) or with its customer (erased). */
async function whyGone(db: Database, shown: FollowUpCardData | { unknown: true }): Promise<CardRetraction> {
  if ('unknown' in shown || !shown.record) return 'erased';
  return (await hasAuditEntry(db.prisma, 'message.delete', shown.record.id)) ? 'deleted' : 'erased';
}
