import { CallBatcher } from '../src/concurrency/call-batcher.ts';
import type { SqlRunner } from '../src/db/database.ts';
import {
  claimDeliveries,
  recordDeliveriesSent,
  type ClaimedDelivery,
  type DeliveryToClaim,
  type SentDelivery,
} from '../src/db/delivery.repository.ts';
import { readFollowUpCard, readFollowUpCards, type FollowUpCardData } from '../src/db/follow-up-card.repository.ts';

/**
 * The statements every delivery runs: claim its key before posting, record the post after; a card's
 * delivery then reads the card's data once more (see followTheData).
 */
export interface DeliveryLedger {
  claim(delivery: DeliveryToClaim): Promise<ClaimedDelivery>;
  recordSent(sent: SentDelivery): Promise<void>;
  /** The card data of a follow-up as it is now; undefined when the follow-up is gone. */
  readCard(followUpId: string): Promise<FollowUpCardData | undefined>;
}

/** One statement per call. */
export function directDeliveryLedger(sql: SqlRunner, leaseMs?: number): DeliveryLedger {
  return {
    claim: async (d) => (await claimDeliveries(sql, [d], new Date(), leaseMs))[0],
    recordSent: (s) => recordDeliveriesSent(sql, [s]),
    readCard: (id) => readFollowUpCard(sql, id),
  };
}

/**
 * Claims and records of concurrently running deliveries go to the database together, one statement
 * per batch (see CallBatcher); a delivery waits at most for the batch in flight before its own. Each
 * key is claimed at most once per batch (a second claim of a key waits for the next). A batch whose
 * statement fails is redone one delivery at a time, so one row the database refuses fails only its
 * own delivery.
 */
export function batchedDeliveryLedger(
  sql: SqlRunner,
  { maxBatch = 32, maxInFlight = 2, leaseMs }: { maxBatch?: number; maxInFlight?: number; leaseMs?: number } = {},
): DeliveryLedger {
  const distinctKeys = (batch: readonly { key: string }[], d: { key: string }) =>
    !batch.some((other) => other.key === d.key);
  const claims = new CallBatcher<DeliveryToClaim, ClaimedDelivery>(
    (ds) => oneByOneOnFailure(ds, (some) => claimDeliveries(sql, some, new Date(), leaseMs)),
    { maxBatch, maxInFlight, canJoin: distinctKeys },
  );
  const records = new CallBatcher<SentDelivery, void>(
    (ss) =>
      oneByOneOnFailure(ss, async (some) => {
        await recordDeliveriesSent(sql, some);
        return some.map(() => undefined);
      }),
    { maxBatch, maxInFlight, canJoin: distinctKeys },
  );
  // Reads change nothing: a failed batch fails its callers (each delivery then logs and moves on).
  const cards = new CallBatcher<string, FollowUpCardData | undefined>(
    async (ids) => {
      const found = await readFollowUpCards(sql, ids);
      return ids.map((id) => found.get(id));
    },
    { maxBatch, maxInFlight },
  );
  return { claim: (d) => claims.call(d), recordSent: (s) => records.call(s), readCard: (id) => cards.call(id) };
}

/** Runs `write` for the whole batch; if that fails, for each input alone (each then answers on its own). */
async function oneByOneOnFailure<I, O>(
  inputs: readonly I[],
  write: (some: readonly I[]) => Promise<O[]>,
): Promise<Array<O | Promise<O>>> {
  try {
    return await write(inputs);
  } catch (err) {
    if (inputs.length === 1) throw err;
    return inputs.map((input) => write([input]).then((out) => out[0]));
  }
}
