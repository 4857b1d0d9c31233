import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CallBatcher } from '../../src/concurrency/call-batcher.ts';
import type { Reply } from '../../src/commands/reply-model.ts';
import { DeliveryError, type Target } from '../chat-connector.ts';
import {
  consoleThreadParent,
  KeptConsoleFeed,
  type ConsoleFeed,
  type ConsoleFeedEntry,
  type FeedEvent,
} from './console-feed.ts';

/** A feed entry as kept in Redis: with the key it was posted under, so trimming can forget that too. */
type StoredEntry = ConsoleFeedEntry & { idempotencyKey?: string };

// Posts one entry in one round trip: unless the idempotency key (ARGV[1], may be empty) names an
// earlier post (then its id comes back), stores the entry, appends it to the order list and publishes
// it. Answers { message id, order list length }. Atomic, so two retries of one post cannot both post.
const POST = `
if ARGV[1] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[1])
  if existing then return { existing, -1 } end
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
local length = redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[5], ARGV[4])
return { ARGV[2], length }
`;
const POST_SHA = createHash('sha1').update(POST).digest('hex');

/** A failed post's answer, marked handled: the batcher hands it to its caller a moment later. */
function rejected(err: Error): Promise<never> {
  const p = Promise.reject(err);
  p.catch(() => {});
  return p;
}

// When the order list is longer than ARGV[1], removes and returns its oldest ids, leaving ARGV[2].
const TAKE_OLDEST = `
local length = redis.call('LLEN', KEYS[1])
if length <= tonumber(ARGV[1]) then return {} end
local excess = length - tonumber(ARGV[2])
local ids = redis.call('LRANGE', KEYS[1], 0, excess - 1)
redis.call('LTRIM', KEYS[1], excess, -1)
return ids
`;

/**
 * The console's "team channel" shared through Redis, so that a worker process can post a reminder
 * that the web process shows live: entries live in a Redis hash (newest `keep` kept), changes are
 * published on a channel every process mirrors. Idempotency keys map to message ids, so a delivery
 * retried after a crash finds its message instead of posting it twice.
 */
export class SharedConsoleConnector extends KeptConsoleFeed implements ConsoleFeed {
  private subscriber: Redis | undefined;
  private readonly keys: { entries: string; order: string; idempotency: string; channel: string };
  // Concurrent posts (a burst of reminders) share one round trip to Redis.
  private readonly posts = new CallBatcher<StoredEntry, [string, number]>((entries) => this.postBatch(entries), {
    maxBatch: 64,
    maxInFlight: 2,
  });

  constructor(
    private readonly redis: Redis,
    prefix: string,
    keep = 200,
  ) {
    super(keep);
    // One hash tag: all feed keys in one Redis Cluster slot, so MULTI works there too.
    const base = `${prefix}:console:{feed}`;
    this.keys = {
      entries: `${base}:entries`,
      order: `${base}:order`,
      idempotency: `${base}:keys`,
      channel: `${base}:events`,
    };
  }

  /** Loads the kept feed and follows other processes' posts. Call once in processes that serve the console. */
  async follow(): Promise<void> {
    const ids = await this.redis.lrange(this.keys.order, -this.keep, -1);
    const raw = ids.length > 0 ? await this.redis.hmget(this.keys.entries, ...ids) : [];
    this.kept.splice(
      0,
      this.kept.length,
      ...raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as ConsoleFeedEntry),
    );
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', () => {});
    await this.subscriber.subscribe(this.keys.channel);
    this.subscriber.on('message', (_channel, message) => this.apply(JSON.parse(message) as FeedEvent));
  }

  async stop(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  async post(target: Target, reply: Reply, opts: { idempotencyKey?: string } = {}): Promise<{ externalId: string }> {
    this.checkTarget(target);
    const entry: StoredEntry = {
      externalId: randomUUID(),
      target,
      reply,
      postedAt: new Date().toISOString(),
      thread: consoleThreadParent(target),
      idempotencyKey: opts.idempotencyKey,
    };
    const [externalId, length] = await this.posts.call(entry);
    if (externalId !== entry.externalId) return { externalId }; // posted before under this key
    // Trim only when the list grew past twice `keep`.
    if (Number(length) > this.keep * 2) await this.trim();
    return { externalId: entry.externalId };
  }

  /** Runs the POST script for a batch of entries in one pipeline (one round trip); each answers on its own. */
  private async postBatch(entries: readonly StoredEntry[]): Promise<Array<[string, number] | Promise<never>>> {
    const pipeline = this.redis.pipeline();
    for (const entry of entries) {
      const event = JSON.stringify({ type: 'post', entry } satisfies FeedEvent);
      pipeline.evalsha(
        POST_SHA,
        3,
        this.keys.entries,
        this.keys.order,
        this.keys.idempotency,
        entry.idempotencyKey ?? '',
        entry.externalId,
        JSON.stringify(entry),
        event,
        this.keys.channel,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    const missing = entries.filter((_, i) => results[i]?.[0]?.message.startsWith('NOSCRIPT'));
    // A new or flushed Redis: load the script, then post again what it refused (a NOSCRIPT wrote nothing).
    let retried: Awaited<ReturnType<typeof this.postBatch>> = [];
    if (missing.length > 0) {
      await this.redis.script('LOAD', POST);
      retried = await this.postBatch(missing);
    }
    let next = 0;
    return results.map(([err, value]) => {
      if (err?.message.startsWith('NOSCRIPT')) return retried[next++];
      return err ? rejected(err) : (value as [string, number]);
    });
  }

  async update(target: Target, externalId: string, reply: Reply): Promise<void> {
    this.checkTarget(target);
    const raw = await this.redis.hget(this.keys.entries, externalId);
    if (!raw) throw new DeliveryError('not_found', `Console message ${externalId} is no longer in the feed.`);
    const entry: ConsoleFeedEntry = {
      ...(JSON.parse(raw) as ConsoleFeedEntry),
      reply,
      updatedAt: new Date().toISOString(),
    };
    await this.redis
      .multi()
      .hset(this.keys.entries, externalId, JSON.stringify(entry))
      .publish(this.keys.channel, JSON.stringify({ type: 'update', entry } satisfies FeedEvent))
      .exec();
  }

  async findPosted(_target: Target, idempotencyKey: string): Promise<{ externalId: string } | undefined> {
    const id = await this.redis.hget(this.keys.idempotency, idempotencyKey);
    return id ? { externalId: id } : undefined;
  }

  /**
   * Drops the oldest entries and their idempotency keys, so neither hash grows without bound. Trims
   * down to `keep` at once (not just past `keep * 2`), so a busy feed pays for this once per `keep`
   * posts instead of on every post. The ids are taken off the list atomically (a script), so two
   * processes trimming together remove distinct entries and leave none behind in the hashes.
   */
  private async trim(): Promise<void> {
    const old = (await this.redis.eval(TAKE_OLDEST, 1, this.keys.order, this.keep * 2, this.keep)) as string[];
    if (old.length === 0) return;
    const raw = await this.redis.hmget(this.keys.entries, ...old);
    const keys = raw.flatMap((r) => {
      const key = r ? (JSON.parse(r) as StoredEntry).idempotencyKey : undefined;
      return key ? [key] : [];
    });
    const tx = this.redis.multi().hdel(this.keys.entries, ...old);
    if (keys.length > 0) tx.hdel(this.keys.idempotency, ...keys);
    await tx.exec();
  }
}
