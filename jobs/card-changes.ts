import { recordPendingDeliveries, recordPendingDeliveriesIn } from '../src/db/delivery.repository.ts';
import type { DbClient } from '../src/db/db-client.ts';
import type { Database } from '../src/db/database.ts';
import { findFollowUpSchedule } from '../src/db/follow-up.repository.ts';
import type { PostedCard } from '../src/db/posted-card.repository.ts';
import { parseMessageRef } from '../src/domain/follow-up.ts';
import { noopPipelineHooks, type PipelineHooks } from '../src/services/pipeline-hooks.ts';
import type { CardRetraction } from '../src/services/posted-cards.service.ts';
import type { DeliverMessageData } from './job-data.ts';
import { jobId } from './job-ids.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineQueues } from './queues.ts';

/**
 * The refresh of a follow-up's posted card after a change, or undefined when no card is posted. `change`
 * names a change whose refresh was written down in its transaction (recordCardRefreshesIn): the same key.
 */
export async function cardRefreshOf(
  client: DbClient,
  followUpId: string,
  change?: string,
): Promise<DeliverMessageData | undefined> {
  const f = await findFollowUpSchedule(client, followUpId);
  if (!f?.messageRef) return undefined;
  const { target, externalId } = parseMessageRef(f.messageRef);
  // A key per change: an edited message changes the card but not the follow-up's updatedAt, and a key
  // made of that alone made a second edit's refresh a repeat of the first's (skipped as sent).
  return {
    key: change
      ? jobId('refresh', followUpId, change)
      : jobId('refresh', followUpId, f.updatedAt.getTime(), Date.now()),
    kind: 'refresh',
    target,
    followUpId,
    externalId,
  };
}

/** The retraction of each posted card: replaced by a line that quotes nothing. */
export function cardRetractions(cards: readonly PostedCard[], reason: CardRetraction): DeliverMessageData[] {
  return cards.map((card) => ({
    key: jobId('retract', card.target, card.externalId),
    kind: 'retract',
    target: card.target,
    externalId: card.externalId,
    reason,
  }));
}

/**
 * Writes refreshes and retractions of posted cards down as `pending` Deliveries with their job's data.
 * The change they follow is committed already; a job only Redis knew of was lost with Redis
 * (unreachable when it was queued, or emptied before a worker took it), and a card then kept showing a
 * customer `forget` had erased. Written down, the reconciler queues it (redriveDeliveries: at once
 * after Redis lost its data, else at its next periodic run once the row has been quiet a minute).
 */
export async function recordCardChanges(db: Database, changes: readonly DeliverMessageData[]): Promise<void> {
  await recordPendingDeliveries(
    db.sql,
    changes.map((d) => ({ key: d.key, target: d.target, payload: d })),
  );
}

/**
 * Writes the retractions of `cards` down in the transaction that removes their data (`tx`), so they
 * commit with it: the PipelineHooks' recordCardRetractions. `cardsRetracted` then queues them after the
 * commit (writing them again is a no-op), and if the process dies first the reconciler does.
 */
export async function recordCardRetractionsIn(
  tx: DbClient,
  cards: readonly PostedCard[],
  reason: CardRetraction,
): Promise<void> {
  await recordPendingDeliveriesIn(
    tx,
    cardRetractions(cards, reason).map((d) => ({ key: d.key, target: d.target, payload: d })),
  );
}

/**
 * Writes the refreshes of these follow-ups' posted cards down in the transaction of the change (`tx`),
 * keyed by `change`: the PipelineHooks' recordCardRefreshes. `followUpChanged(id, change)` queues the
 * same deliveries after the commit, and if the process dies first the reconciler does.
 */
export async function recordCardRefreshesIn(
  tx: DbClient,
  followUpIds: readonly string[],
  change: string,
): Promise<void> {
  const refreshes: DeliverMessageData[] = [];
  // One at a time: a transaction's statements run one after another anyway.
  for (const id of followUpIds) {
    const refresh = await cardRefreshOf(tx, id, change);
    if (refresh) refreshes.push(refresh);
  }
  await recordPendingDeliveriesIn(
    tx,
    refreshes.map((d) => ({ key: d.key, target: d.target, payload: d })),
  );
}

/** Writes card changes down (recordCardChanges), then queues them. */
export async function queueCardChanges(
  deps: { db: Database; queues: PipelineQueues },
  changes: readonly DeliverMessageData[],
): Promise<void> {
  if (changes.length === 0) return;
  await recordCardChanges(deps.db, changes);
  const queue = deps.queues[QueueName.DeliverMessage];
  if (changes.length === 1) await queue.add(changes[0].kind, changes[0], { jobId: changes[0].key });
  else await queue.addBulk(changes.map((d) => ({ name: d.kind, data: d, opts: { jobId: d.key } })));
}

/**
 * Hooks of a command run while Redis does not answer (a CLI command): nothing is queued, and what the
 * reconciler re-derives from the data alone (classifications, reminders) is left to it; card refreshes
 * and retractions, which the data does not imply, are written down for it (recordCardChanges).
 */
export function recordedCardChangeHooks(db: Database): PipelineHooks {
  return {
    ...noopPipelineHooks,
    async followUpChanged(followUpId, change) {
      const refresh = await cardRefreshOf(db.prisma, followUpId, change);
      if (refresh) await recordCardChanges(db, [refresh]);
    },
    async cardsRetracted(cards, reason) {
      await recordCardChanges(db, cardRetractions(cards, reason));
    },
    recordCardRetractions: recordCardRetractionsIn,
    recordCardRefreshes: recordCardRefreshesIn,
  };
}
