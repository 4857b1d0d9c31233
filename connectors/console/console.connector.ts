import { randomUUID } from 'node:crypto';
import type { Reply } from '../../src/commands/reply-model.ts';
import { DeliveryError, type Target } from '../chat-connector.ts';
import { consoleThreadParent, KeptConsoleFeed, type ConsoleFeed, type ConsoleFeedEntry } from './console-feed.ts';

export interface ConsoleConnectorOptions {
  /** How many posts are kept for new page loads. Default 200. */
  keep?: number;
}

/**
 * The zero-config chat platform: posts go into an in-memory "team channel" feed that the console page
 * receives live over SSE. Targets are "console:<channel>" (reminders use "console:team").
 */
export class ConsoleConnector extends KeptConsoleFeed implements ConsoleFeed {
  constructor(opts: ConsoleConnectorOptions = {}) {
    super(opts.keep ?? 200);
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
    this.apply({ type: 'post', entry });
    return { externalId: entry.externalId };
  }

  async update(target: Target, externalId: string, reply: Reply): Promise<void> {
    this.checkTarget(target);
    const entry = this.kept.find((e) => e.externalId === externalId);
    if (!entry) throw new DeliveryError('not_found', `Console message ${externalId} is no longer in the feed.`);
    this.apply({ type: 'update', entry: { ...entry, reply, updatedAt: new Date().toISOString() } });
  }
}
