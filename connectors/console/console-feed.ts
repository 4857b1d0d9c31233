import { EventEmitter } from 'node:events';
import type { Reply } from '../../src/commands/reply-model.ts';
import {
  DeliveryError,
  type Audience,
  type ChatConnector,
  type ConnectorHealth,
  type Target,
} from '../chat-connector.ts';

/** One message of the console's "team channel". */
export interface ConsoleFeedEntry {
  externalId: string;
  target: Target;
  reply: Reply;
  postedAt: string;
  updatedAt?: string;
  /** The card this message is grouped under (its thread), when it was posted to {@link consoleThreadOf}. */
  thread?: string;
}

/** A post or an update of the feed, as the console page follows it. */
export type FeedEvent = { type: 'post' | 'update'; entry: ConsoleFeedEntry };

const THREAD = /\/thread\/([^/]+)$/;

/**
 * `console:team` + a message id → `console:team/thread/<id>`: replies grouped under that message (the
 * page shows them folded under it), as Slack threads keep a burst of suggestions out of the channel.
 * Undefined when `target` is a thread already.
 */
export function consoleThreadOf(target: Target, externalId: string): Target | undefined {
  return THREAD.test(target) ? undefined : `${target}/thread/${externalId}`;
}

/** The message id a console target's thread hangs under, if it is a thread. */
export function consoleThreadParent(target: Target): string | undefined {
  return THREAD.exec(target)?.[1];
}

/** What the console page needs from a feed: post replies, read the kept messages, follow changes. */
export interface ConsoleFeed extends ChatConnector {
  feed(): ConsoleFeedEntry[];
  subscribe(listener: (event: FeedEvent) => void): () => void;
}

/**
 * What both console feeds share: the newest `keep` entries this process shows (all of the in-memory
 * feed; a mirror of the shared one), the page's listeners, and the console's targets and audience.
 */
export abstract class KeptConsoleFeed
  implements Pick<ConsoleFeed, 'platform' | 'threadOf' | 'audience' | 'health' | 'feed' | 'subscribe'>
{
  readonly platform = 'console';
  /** The kept entries, oldest first. */
  protected readonly kept: ConsoleFeedEntry[] = [];
  private readonly events = new EventEmitter();

  constructor(protected readonly keep: number) {
    this.events.setMaxListeners(0); // one listener per open console tab
  }

  threadOf(target: Target, externalId: string): Target | undefined {
    return consoleThreadOf(target, externalId);
  }

  /** The console is the operator's own screen (behind its access token): nobody outside reads it. */
  async audience(_target: Target): Promise<Audience> {
    return 'internal';
  }

  async health(): Promise<ConnectorHealth> {
    return {
      ok: true,
      detail: `console feed with ${this.kept.length} message(s), ${this.events.listenerCount('feed')} viewer(s)`,
    };
  }

  /** The kept messages, oldest first. */
  feed(): ConsoleFeedEntry[] {
    return [...this.kept];
  }

  /** Calls `listener` for each post and update; returns the unsubscribe function. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    this.events.on('feed', listener);
    return () => this.events.off('feed', listener);
  }

  /** Takes a post or an update into the kept entries (the newest `keep`) and tells the page. */
  protected apply(event: FeedEvent): void {
    const i = this.kept.findIndex((e) => e.externalId === event.entry.externalId);
    if (i >= 0) this.kept[i] = event.entry;
    else if (event.type === 'post') this.kept.push(event.entry);
    if (this.kept.length > this.keep) this.kept.splice(0, this.kept.length - this.keep);
    this.events.emit('feed', event);
  }

  protected checkTarget(target: Target): void {
    if (!target.startsWith('console:'))
      throw new DeliveryError('not_found', `The console connector cannot post to "${target}".`);
  }
}
