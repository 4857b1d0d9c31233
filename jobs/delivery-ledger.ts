import { CallBatcher } from '../src/concurrency/call-batcher.ts';
import type { SqlRunner } from '../src/db/database.ts';
import { claimDeliveries, recordDeliveriesSent, type ClaimedDelivery, type DeliveryToClaim, type SentDelivery } from '../src/db/delivery.repository.ts';

/** The two statements every delivery runs: claim its key before posting, record the post after. */
export interface DeliveryLedger {
  claim(delivery: DeliveryToClaim): Promise<ClaimedDelivery>;
  recordSent(sent: SentDelivery): Promise<void>;
}

/** One statement per call. */
export function directDeliveryLedger(sql: SqlRunner): DeliveryLedger {
  return {
    claim: async (d) => (await claimDeliveries(sql, [d]))[0],
    recordSent: (s) => recordDeliveriesSent(sql, [s]),
  };
}

/**
 * Claims and records of concurrently running deliveries go to the database together, one statement
 * per batch (see CallBatcher); a delivery waits at most for the batch in flight before its own. Each
 * key is claimed at most once per batch (a second claim of a key waits for the next).
 */
export function batchedDeliveryLedger(sql: SqlRunner, { maxBatch = 32, maxInFlight = 2 }: { maxBatch?: number; maxInFlight?: number } = {}): DeliveryLedger {
  const claims = new CallBatcher<DeliveryToClaim, ClaimedDelivery>((ds) => claimDeliveries(sql, ds), {
    maxBatch,
    maxInFlight,
    canJoin: (batch, d) => !batch.some((other) => other.key === d.key),
  });
  const records = new CallBatcher<SentDelivery, void>(async (ss) => {
    await recordDeliveriesSent(sql, ss);
    return ss.map(() => undefined);
  }, { maxBatch, maxInFlight, canJoin: (batch, s) => !batch.some((other) => other.key === s.key) });
  return { claim: (d) => claims.call(d), recordSent: (s) => records.call(s) };
}
