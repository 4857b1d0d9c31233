import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Reply } from '../../src/commands/reply-model.ts';
import {
  DeliveryError,
  type ChatConnector,
  type Audience,
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

export interface ConsoleConnectorOptions {
  /** How many posts are kept for new page loads. Default 200. */
  keep?: number;
}

/** What the console page needs from a feed: post replies, read the kept messages, follow changes. */
export interface ConsoleFeed extends ChatConnector {
  feed(): ConsoleFeedEntry[];
  subscribe(listener: (event: { type: 'post' | 'update'; entry: ConsoleFeedEntry }) => void): () => void;
}

/**
 * The zero-config chat platform: posts go into an in-memory "team channel" feed that the console page
 * receives live over SSE. Targets are "console:<channel>" (reminders use "console:team").
 */
export class ConsoleConnector implements ConsoleFeed {
  readonly platform = 'console';
  private readonly entries: ConsoleFeedEntry[] = [];
  private readonly events = new EventEmitter();
  private readonly keep: number;

  constructor(opts: ConsoleConnectorOptions = {}) {
    this.keep = opts.keep ?? 200;
    this.events.setMaxListeners(0); // one listener per open console tab
  }

  async post(target: Target, reply: Reply): Promise<{ externalId: string }> {
    this.checkTarget(target);
    const entry: ConsoleFeedEntry = {
      externalId: randomUUID(),
      target,
      reply,
      postedAt: new Date().toISOString(),
      thread: consoleThreadParent(target),
    };
    this.entries.push(entry);
    if (this.entries.length > this.keep) this.entries.splice(0, this.entries.length - this.keep);
    this.events.emit('feed', { type: 'post', entry });
    return { externalId: entry.externalId };
  }

  async update(target: Target, externalId: string, reply: Reply): Promise<void> {
    this.checkTarget(target);
    const entry = this.entries.find((e) => e.externalId === externalId);
    if (!entry) throw new DeliveryError('not_found', `Console message ${externalId} is no longer in the feed.`);
    entry.reply = reply;
    entry.updatedAt = new Date().toISOString();
    this.events.emit('feed', { type: 'update', entry });
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
      detail: `console feed with ${this.entries.length} message(s), ${this.events.listenerCount('feed')} viewer(s)`,
    };
  }

  /** The kept messages, oldest first. */
  feed(): ConsoleFeedEntry[] {
    return [...this.entries];
  }

  /** Calls `listener` for each post and update; returns the unsubscribe function. */
  subscribe(listener: (event: { type: 'post' | 'update'; entry: ConsoleFeedEntry }) => void): () => void {
    this.events.on('feed', listener);
    return () => this.events.off('feed', listener);
  }

  private checkTarget(target: Target): void {
    if (!target.startsWith('console:'))
      throw new DeliveryError('not_found', `The console connector cannot post to "${target}".`);
  }
}
