import type { WebClient } from '@slack/web-api';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { Logger } from '../../src/logger.ts';
import { renderBlocks } from './render-blocks.ts';

/**
 * Tells one person the result of a modal: ephemerally in the channel the modal came from, else (a
 * global shortcut, or a channel the bot is not in) as a direct message from the app.
 */
export async function tellUser(client: WebClient, to: { userId: string; channelId?: string }, reply: Reply, logger: Logger): Promise<void> {
  const message = renderBlocks(reply);
  if (to.channelId) {
    try {
      await client.chat.postEphemeral({ channel: to.channelId, user: to.userId, ...message });
      return;
    } catch (err) {
      logger.info({ err: (err as Error).message, channel: to.channelId }, 'ephemeral answer refused; sending it as a direct message');
    }
  }
  await client.chat.postMessage({ channel: to.userId, ...message });
}
