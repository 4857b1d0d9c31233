import type { Rep } from '../db/generated/client.ts';
import { findRepsByPlatformUsers } from '../db/rep.repository.ts';
import { CallBatcher } from '../concurrency/call-batcher.ts';
import type { PrismaExecutor } from './prisma-executor.ts';

/** Most platform user keys one lookup statement asks for. */
const MAX_KEYS = 200;
/** Lookup statements of one client running at once; calls made meanwhile go together in the next. */
const MAX_IN_FLIGHT = 2;

const batchers = new WeakMap<PrismaExecutor, CallBatcher<string, Rep | null>>();

/**
 * The rep holding this platform user key ("slack:T1/U2"), or null: what `findRepByPlatformUser`
 * answers, but lookups made at the same time through the same client go as one statement (every
 * command looks its rep up first; a burst of 500 commands a second is then a few statements, not
 * 500). Never a cache: each call is answered by a statement that starts after it was made.
 */
export function findRepByPlatformUserBatched(client: PrismaExecutor, key: string): Promise<Rep | null> {
  let batcher = batchers.get(client);
  if (!batcher) {
    batcher = new CallBatcher<string, Rep | null>(
      async (keys) => {
        const reps = await findRepsByPlatformUsers(client, [...new Set(keys)]);
        return keys.map((key) => reps.find((r) => r.platformUserIds.includes(key)) ?? null);
      },
      { maxBatch: MAX_KEYS, maxInFlight: MAX_IN_FLIGHT },
    );
    batchers.set(client, batcher);
  }
  return batcher.call(key);
}
