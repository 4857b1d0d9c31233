import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/**
 * A word to every process of the deployment, over Redis pub/sub: one channel per `topic` under the
 * deployment's key prefix (`<prefix>:broadcast:<topic>`), as the console feed shares its posts. Used to
 * drop a cache everywhere when one process hears that what it holds changed (Slack's user_change, a
 * Teams roster change). Best effort: a process that is not subscribed while a word goes out (Redis
 * away, the process starting) never hears it, so the cache's own lifetime stays the bound; the process
 * that publishes acts on its own copy first (it hears its word back too, which must be harmless).
 */
export class RedisBroadcast<T> {
  private subscriber: Redis | undefined;
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    topic: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}:broadcast:${topic}`;
  }

  /**
   * Calls `onMessage` with every word published on the topic (this process's own included) until
   * {@link stop}. Resolves once subscribed; never throws: with Redis away the subscription is made
   * when it is back (ioredis subscribes again after every reconnect), and the failure is logged.
   */
  async follow(onMessage: (message: T) => void): Promise<void> {
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      try {
        onMessage(JSON.parse(raw) as T);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, channel }, 'Redis broadcast: a word could not be read');
      }
    });
    // Subscribed again after each reconnect by ioredis once subscribed; until the first success, asked again.
    const subscribe = async (): Promise<void> => {
      try {
        await subscriber.subscribe(this.channel);
      } catch (err) {
        if (this.subscriber !== subscriber) return;
        this.logger.warn(
          { err: (err as Error).message, channel: this.channel },
          'Redis broadcast: not subscribed yet (Redis unavailable); cached answers last their usual time meanwhile',
        );
        setTimeout(() => void subscribe(), 2_000).unref();
      }
    };
    await subscribe();
  }

  /** Tells every following process (this one too). Never throws: a failure is logged, the caches' lifetime bounds. */
  async publish(message: T): Promise<void> {
    try {
      await this.redis.publish(this.channel, JSON.stringify(message));
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message, channel: this.channel },
        'Redis broadcast failed: other processes keep their cached answers for their usual time',
      );
    }
  }

  async stop(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
